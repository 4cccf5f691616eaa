// Started once by the runner through the side command before any scenario: checks that the side under
// test can start at all and tells which Node, platform and iocp-net backend it runs.
import { backend } from '../lib';

process.stdout.write(`${JSON.stringify({ node: process.version, platform: process.platform, arch: process.arch, backend })}\n`);
