// The Node.js 20 anchor of bench row 1 (Lambda cold start): what a
// Node.js Pika API function does at init and on `GET /sessions`, unbundled.
//
// Init: load the AWS SDK v3 packages Pika's API function loads and build
// their clients (DynamoDB + document client, S3, Bedrock Agent Runtime).
// Then the Lambda runtime loop against AWS_LAMBDA_RUNTIME_API with fetch:
// GET next, call the handler, POST the response (or the error).
//
// The handler takes an API Gateway REST proxy event, verifies its bearer
// token (HS256, `iss`, `aud`, `exp`; the key is BENCH_JWT_KEY) and answers
// `GET /sessions` with the user's sessions, newest first: one DynamoDB
// Query on `{PIKA_TABLE_PREFIX}-sessions`, index `byUser`.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { BedrockAgentRuntimeClient } from "@aws-sdk/client-bedrock-agent-runtime";
import { S3Client } from "@aws-sdk/client-s3";
import { createHmac, timingSafeEqual } from "node:crypto";

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const s3 = new S3Client({ forcePathStyle: process.env.PIKA_S3_FORCE_PATH_STYLE === "true" });
const agents = new BedrockAgentRuntimeClient({});
export const clients = { dynamo, s3, agents };

const sessionsTable = `${process.env.PIKA_TABLE_PREFIX}-sessions`;
const jwtKey = Buffer.from(process.env.BENCH_JWT_KEY ?? "", "utf8");
const issuer = process.env.PIKA_JWT_ISSUER;
const audience = process.env.PIKA_JWT_AUDIENCE;

function problem(statusCode, code, detail) {
  return {
    statusCode,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({ type: "about:blank", title: code, status: statusCode, code, detail }),
  };
}

/** The verified claims of an HS256 token, or null. */
function verify(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head, payload, signature] = parts;
  const header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
  if (header.alg !== "HS256") return null;
  const expected = createHmac("sha256", jwtKey).update(`${head}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  const now = Math.floor(Date.now() / 1000);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (typeof claims.exp !== "number" || claims.exp + 30 < now) return null;
  if (claims.iss !== issuer || !aud.includes(audience)) return null;
  if (typeof claims.sub !== "string" || claims.sub === "") return null;
  return claims;
}

export async function handler(event) {
  const headers = Object.fromEntries(
    Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const auth = headers.authorization ?? "";
  const claims = auth.startsWith("Bearer ") ? verify(auth.slice(7)) : null;
  if (!claims) return problem(401, "unauthorized", "a valid bearer token is needed");
  if (event.httpMethod !== "GET" || event.path !== "/sessions") {
    return problem(404, "not_found", "no such route");
  }
  const out = await dynamo.send(
    new QueryCommand({
      TableName: sessionsTable,
      IndexName: "byUser",
      KeyConditionExpression: "#p = :p",
      ExpressionAttributeNames: { "#p": "userId" },
      ExpressionAttributeValues: { ":p": claims.sub },
      ScanIndexForward: false,
      Limit: 20,
    }),
  );
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ items: out.Items ?? [], nextCursor: null }),
  };
}

const runtime = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;

for (;;) {
  const next = await fetch(`${runtime}/invocation/next`);
  const id = next.headers.get("lambda-runtime-aws-request-id");
  const event = await next.json();
  try {
    const result = await handler(event);
    await fetch(`${runtime}/invocation/${id}/response`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(result),
    });
  } catch (e) {
    await fetch(`${runtime}/invocation/${id}/error`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ errorMessage: String(e?.message ?? e), errorType: e?.name ?? "Error" }),
    });
  }
}
