// An Apollo Federation 2 gateway composing gongzhi and the health subgraph at startup.
//
// IntrospectAndCompose fetches each subgraph's `_service { sdl }` and composes them; a
// composition error makes start() throw, so "the gateway is up" means "the supergraph
// composes".
//
//   node gateway.mjs --port 4000 \
//     --gongzhi http://127.0.0.1:8000/graphql --health http://127.0.0.1:4002/
//   (or GATEWAY_PORT, GONGZHI_URL, HEALTH_URL)

import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

import { option, portOption, stopOnSignals } from './args.mjs';

function required(name, envName) {
  const value = option(name, envName);
  if (!value) {
    console.error(`missing subgraph URL: pass --${name} URL or set ${envName}`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const port = portOption('GATEWAY_PORT', '4000');
  const host = option('host', 'GATEWAY_HOST', '127.0.0.1');
  const subgraphs = [
    { name: 'gongzhi', url: required('gongzhi', 'GONGZHI_URL') },
    { name: 'health', url: required('health', 'HEALTH_URL') },
  ];

  const gateway = new ApolloGateway({
    supergraphSdl: new IntrospectAndCompose({ subgraphs }),
    // subgraphs authorise each request themselves: pass the caller's bearer token on
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) {
            request.http.headers.set('authorization', context.authorization);
          }
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  stopOnSignals(() => server.stop());
  console.log(`gateway ready at ${url} composing ${subgraphs.map((s) => s.name).join(', ')}`);
}

main().catch((error) => {
  // Composition failures arrive here with every error in the message.
  console.error('gateway failed to start:', error);
  process.exit(1);
});
