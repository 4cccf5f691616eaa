// Delay-load hook for MinGW builds: the addon imports Node-API from "node.exe", but the host may be a
// renamed node.exe (single-executable apps, service wrappers). Resolve that import to the running
// executable instead of loading a DLL by name. MSVC builds get the same hook from cmake-js.
#if defined(__MINGW32__)
#include "../common/platform.h"

#include <delayimp.h>
#include <string.h>

static FARPROC WINAPI iocpnet_delay_hook(unsigned int event, PDelayLoadInfo info) {
  if (event == dliNotePreLoadLibrary && _stricmp(info->szDll, "node.exe") == 0) {
    return reinterpret_cast<FARPROC>(GetModuleHandleW(nullptr));
  }
  return nullptr;
}

extern "C" {
PfnDliHook __pfnDliNotifyHook2 = iocpnet_delay_hook;
}
#endif
