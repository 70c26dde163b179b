// Tiny shared helpers for the harness scripts: `--name value` / `--name=value` options
// with an environment-variable fallback, and a line on stdout once a server listens.

/** The value of `--name` from argv, else env[envName], else fallback. */
export function option(name, envName, fallback) {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  if (envName && process.env[envName]) return process.env[envName];
  return fallback;
}

/** A TCP port from `--port` / env, failing loudly on anything else. */
export function portOption(envName, fallback) {
  const raw = option('port', envName, fallback);
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`invalid port ${JSON.stringify(raw)} (pass --port N or set ${envName})`);
    process.exit(2);
  }
  return port;
}

/** Exit cleanly on SIGTERM/SIGINT so a test harness can stop us without noise. */
export function stopOnSignals(stop) {
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, async () => {
      try {
        await stop();
      } finally {
        process.exit(0);
      }
    });
  }
}
