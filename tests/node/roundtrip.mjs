// Round trip of the official JS clients against a running server:
// node roundtrip.mjs <rest url> <grpc port>
// Creates a collection over gRPC, upserts, queries with a filter, scrolls,
// deletes; reads the same data back over REST. Exits non-zero on failure.
import assert from "node:assert/strict";
import { QdrantClient as GrpcClient, Distance, ConnectError } from "@qdrant/js-client-grpc";
import { QdrantClient as RestClient } from "@qdrant/js-client-rest";

const [restUrl, grpcPort] = process.argv.slice(2);
const url = new URL(restUrl);
const grpc = new GrpcClient({ host: url.hostname, port: Number(grpcPort), checkCompatibility: false });
const rest = new RestClient({ url: restUrl, checkCompatibility: false });
const name = "js_round_trip";

const version = await grpc.api("service").healthCheck({});
assert.equal(version.title, "qdrant - vector search engine");

await rest.deleteCollection(name);
await grpc.api("collections").create({
  collectionName: name,
  vectorsConfig: { config: { case: "params", value: { size: 4n, distance: Distance.Dot } } },
});
assert.equal((await rest.collectionExists(name)).exists, true);

const points = [];
for (let i = 0; i < 20; i++) {
  points.push({
    id: { pointIdOptions: { case: "num", value: BigInt(i) } },
    vectors: { vectorsOptions: { case: "vector", value: { vector: { case: "dense", value: { data: [i, 1, 0, 0.5] } } } } },
    payload: {
      even: { kind: { case: "boolValue", value: i % 2 === 0 } },
      n: { kind: { case: "integerValue", value: BigInt(i) } },
    },
  });
}
const upserted = await grpc.api("points").upsert({ collectionName: name, wait: true, points });
assert.ok(upserted.result);

const evenOnly = {
  must: [{ conditionOneOf: { case: "field", value: { key: "even", match: { matchValue: { case: "boolean", value: true } } } } }],
};
const hits = await grpc.api("points").query({
  collectionName: name,
  query: { variant: { case: "nearest", value: { variant: { case: "dense", value: { data: [1, 0, 0, 0] } } } } },
  filter: evenOnly,
  limit: 3n,
  withPayload: { selectorOptions: { case: "enable", value: true } },
});
assert.deepEqual(hits.result.map((p) => Number(p.id.pointIdOptions.value)), [18, 16, 14]);
assert.equal(hits.result[0].payload.n.kind.value, 18n);

const page = await grpc.api("points").scroll({ collectionName: name, limit: 5 });
assert.equal(page.result.length, 5);

await grpc.api("points").delete({
  collectionName: name,
  wait: true,
  points: { pointsSelectorOneOf: { case: "points", value: { ids: [{ pointIdOptions: { case: "num", value: 0n } }] } } },
});

// the REST client sees the same data
assert.equal((await rest.count(name, { exact: true })).count, 19);
const restHits = await rest.query(name, {
  query: [1, 0, 0, 0],
  filter: { must: [{ key: "even", match: { value: true } }] },
  limit: 3,
  with_payload: true,
});
assert.deepEqual(restHits.points.map((p) => p.id), [18, 16, 14]);
assert.equal(restHits.points[0].payload.n, 18);
await rest.upsert(name, { wait: true, points: [{ id: 100, vector: [0, 0, 0, 1], payload: { from: "rest" } }] });
const got = await grpc.api("points").get({ collectionName: name, ids: [{ pointIdOptions: { case: "num", value: 100n } }], withPayload: { selectorOptions: { case: "enable", value: true } } });
assert.equal(got.result[0].payload.from.kind.value, "rest");

// errors: the status and text REST gives
try {
  await grpc.api("collections").get({ collectionName: "no_such_collection" });
  assert.fail("expected an error");
} catch (e) {
  assert.ok(e instanceof ConnectError, String(e));
  assert.match(e.rawMessage, /doesn't exist/);
}
try {
  await rest.getCollection("no_such_collection");
  assert.fail("expected an error");
} catch (e) {
  assert.equal(e.status, 404);
}

await grpc.api("collections").delete({ collectionName: name });
console.log("js round trip ok");
