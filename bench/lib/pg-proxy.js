'use strict';
/**
 * A TCP proxy in front of PostgreSQL that records the SQL text its clients send (Parse and simple
 * Query messages of the frontend protocol, https://www.postgresql.org/docs/current/protocol-message-formats.html).
 * Used only by the bench's probe phase, to check that the baseline issues the same statements as
 * Bulwark for each route; it works with any server (no log_statement or superuser needed).
 */
const net = require('node:net');

/** Reads the frontend stream of one connection and calls `onSql(text)` per Parse/Query message. */
function frontendParser(onSql) {
  let buffer = Buffer.alloc(0);
  let started = false;
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        buffer = buffer.subarray(length);
        // SSLRequest / GSSENCRequest are followed by another untyped startup message.
        if (code !== 80877103 && code !== 80877104) started = true;
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]);
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const body = buffer.subarray(5, 1 + length);
      if (type === 'Q') {
        onSql(body.subarray(0, body.indexOf(0)).toString('utf8'));
      } else if (type === 'P') {
        const nameEnd = body.indexOf(0);
        const queryEnd = body.indexOf(0, nameEnd + 1);
        onSql(body.subarray(nameEnd + 1, queryEnd).toString('utf8'));
      }
      buffer = buffer.subarray(1 + length);
    }
  };
}

/**
 * Starts a proxy to `target` (a postgres URL) on a free loopback port.
 * @returns {Promise<{url: string, statements: string[], clear(): void, close(): Promise<void>}>}
 */
async function startSqlProxy(target) {
  const upstream = new URL(target);
  // A Unix-socket URL (?host=/dir, as pg reads it): the socket file is <dir>/.s.PGSQL.<port>.
  const socketDir = upstream.searchParams.get('host');
  const connectUpstream = () =>
    socketDir && socketDir.startsWith('/')
      ? net.connect({ path: `${socketDir}/.s.PGSQL.${upstream.port || 5432}` })
      : net.connect(Number(upstream.port || 5432), upstream.hostname);
  const statements = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const server = connectUpstream();
    sockets.add(client);
    sockets.add(server);
    const parse = frontendParser((sql) => statements.push(sql));
    client.on('data', (chunk) => {
      parse(chunk);
      server.write(chunk);
    });
    server.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', end);
    server.on('close', end);
    client.on('error', end);
    server.on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.searchParams.delete('host');
  url.port = String(server.address().port);
  return {
    url: url.toString(),
    statements,
    clear: () => statements.splice(0),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Whitespace-insensitive form of a statement, for comparing Bulwark's and the baseline's. */
function statementShape(sql) {
  return sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
}

module.exports = { startSqlProxy, statementShape, frontendParser };
