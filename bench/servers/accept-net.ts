// Accept-and-close server with Node's net (accept rate): every accepted socket is destroyed at once.
import * as net from 'node:net';
import { fail } from '../common/args';
import { HOST, ready } from '../common/protocol';

const server = net.createServer((socket) => socket.destroy());
server.on('error', (err) => fail('server error', err));
server.listen(0, HOST, () => ready((server.address() as net.AddressInfo).port));
