// An example of another department joining the supergraph: a health department's subgraph.
//
// It owns health records and clinics, and extends two of gongzhi's entities:
//   Resident @key(fields: "id")   -> healthRecord
//   Area     @key(fields: "code") -> clinics
// and points back at them (HealthRecord.resident, Clinic.area), so a query may start on
// either side. The data is fake but deterministic, computed from the keys alone, so the
// tests can predict it without a second database.
//
//   node health-subgraph.mjs --port 4002        (or HEALTH_PORT=4002)

import { pathToFileURL } from 'node:url';

import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import gql from 'graphql-tag';

import { option, portOption, stopOnSignals } from './args.mjs';

export const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    "The health record of one resident, by gongzhi's global id."
    healthRecord(residentId: ID!): HealthRecord
    "Clinics serving the given areas (statistical division codes), in the order asked."
    clinicsIn(areaCodes: [String!]!): [Clinic!]!
  }

  "A resident of gongzhi, extended with the health department's record."
  type Resident @key(fields: "id") {
    id: ID!
    healthRecord: HealthRecord
  }

  "An area of gongzhi, extended with the clinics in it."
  type Area @key(fields: "code") {
    code: String!
    clinics: [Clinic!]!
  }

  type HealthRecord {
    "Null when gongzhi does not know the resident."
    resident: Resident
    familyDoctor: String!
    chronicConditions: [String!]!
    "ISO 8601 date."
    lastCheckup: String!
  }

  enum ClinicKind {
    TOWNSHIP_HEALTH_CENTRE
    VILLAGE_CLINIC
  }

  type Clinic {
    id: ID!
    name: String!
    kind: ClinicKind!
    beds: Int!
    "Null when gongzhi does not know the area."
    area: Area
  }
`;

const DOCTORS = ['赵医生', '钱医生', '孙医生', '周医生', '吴医生', '郑医生', '冯医生'];
const CONDITIONS = ['高血压', '糖尿病', '慢阻肺', '冠心病'];

/** A non-negative integer derived from a key: the Relay node id when it is one, else a hash. */
export function seedOf(key) {
  const decoded = Buffer.from(String(key), 'base64').toString('utf8');
  const match = /^[A-Za-z]+:(\d+)$/.exec(decoded);
  if (match) return Number(match[1]);
  let hash = 0;
  for (const ch of String(key)) hash = (hash * 31 + ch.codePointAt(0)) % 1_000_003;
  return hash;
}

/** The record for a resident id: the same id always gives the same record. */
export function healthRecordFor(residentId) {
  const n = seedOf(residentId);
  const checkup = new Date(Date.UTC(2024, 0, 1) + ((n * 37) % 365) * 86_400_000);
  return {
    resident: { id: residentId },
    familyDoctor: DOCTORS[n % DOCTORS.length],
    chronicConditions: CONDITIONS.filter((_, bit) => (n >> bit) & 1),
    lastCheckup: checkup.toISOString().slice(0, 10),
  };
}

/** Clinics in an area: a health centre per town (9-digit code), a clinic per village (12). */
export function clinicsFor(code) {
  const n = seedOf(code);
  if (/^\d{9}$/.test(code)) {
    const beds = 20 + (n % 40);
    const kind = 'TOWNSHIP_HEALTH_CENTRE';
    return [{ id: `${code}-H1`, name: '卫生院', kind, beds, area: { code } }];
  }
  if (/^\d{12}$/.test(code)) {
    return [{ id: `${code}-C1`, name: '卫生室', kind: 'VILLAGE_CLINIC', beds: 0, area: { code } }];
  }
  return [];
}

export const resolvers = {
  Query: {
    healthRecord: (_root, { residentId }) => healthRecordFor(residentId),
    clinicsIn: (_root, { areaCodes }) => areaCodes.flatMap(clinicsFor),
  },
  Resident: {
    __resolveReference: ({ id }) => ({ id }),
    healthRecord: ({ id }) => healthRecordFor(id),
  },
  Area: {
    __resolveReference: ({ code }) => ({ code }),
    clinics: ({ code }) => clinicsFor(code),
  },
};

async function main() {
  const port = portOption('HEALTH_PORT', '4002');
  const host = option('host', 'HEALTH_HOST', '127.0.0.1');
  const server = new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    // tracing is for Apollo's hosted reporting, which this example does not use
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  const { url } = await startStandaloneServer(server, { listen: { port, host } });
  stopOnSignals(() => server.stop());
  console.log(`health subgraph ready at ${url}`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
