#include "engine.h"

#include "socket_base.h"

namespace iocpnet {

void Engine::OpEntered(napi_env env, bool keep_alive) {
  ops_in_flight_++;
  if (keep_alive && keep_alive_ops_++ == 0 && !tearing_down_) SetLoopAlive(env, true);
}

void Engine::OpLeft(napi_env env, bool keep_alive) {
  ops_in_flight_--;
  if (keep_alive && --keep_alive_ops_ == 0 && !tearing_down_) SetLoopAlive(env, false);
}

void Engine::Register(SocketBase* s) {
  s->next_ = sockets_;
  s->prev_ = nullptr;
  if (sockets_ != nullptr) sockets_->prev_ = s;
  sockets_ = s;
  socket_count_++;
}

void Engine::Unregister(SocketBase* s) {
  if (s->prev_ != nullptr) s->prev_->next_ = s->next_;
  else if (sockets_ == s) sockets_ = s->next_;
  if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
  s->next_ = s->prev_ = nullptr;
  socket_count_--;
}

void Engine::CloseAllSockets() {
  for (SocketBase* s = sockets_; s != nullptr; s = s->next_) s->CloseForTeardown();
}

EngineStats Engine::Stats() const {
  EngineStats st;
  st.sockets = socket_count_;
  st.ops_in_flight = ops_in_flight_;
  st.os_handles = OsHandleCount();
  return st;
}

}  // namespace iocpnet
