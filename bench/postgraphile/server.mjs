// PostGraphile v5 with its recommended preset (Amber), as the benchmark's reference server.
// Usage: DATABASE_URL=postgres://... node server.mjs --host 127.0.0.1 --port 5678
import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "5678" },
    "pool-size": { type: "string", default: "10" },
  },
});
const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  console.error("server.mjs: DATABASE_URL is not set");
  process.exit(2);
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString,
      // bench_pgl holds the functions bench/ adds so PostGraphile can express subtree
      // reads and gongzhi's member order (see schema.sql).
      schemas: ["public", "bench_pgl"],
      // The same pool size as gongzhi's default (GONGZHI_POOL_MAX_SIZE=10).
      poolConfig: { max: Number(values["pool-size"]) },
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
  // Production settings: no EXPLAIN plans in responses.
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (e) => {
  console.error(e);
  process.exit(1);
});
await serv.addTo(server);
server.listen(Number(values.port), values.host, () => {
  console.error(`postgraphile: GraphQL at http://${values.host}:${values.port}/graphql`);
});

const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
