// Whether a stack's backend reports an update in progress, for every backend kind (review M5:
// recover read only file:// lock files, so on Pulumi Cloud or S3 only the age rule guarded a
// live update). Read-only: lists and reads, never takes or removes a lock.
//   - self-managed (DIY) backends: the engine writes `.pulumi/locks/<org>/<project>/<stack>/<id>.json`
//     before every update, refresh, destroy and import and deletes it after (pulumi/pulumi
//     pkg/backend/diy/lock.go, unconditional in 3.255.0); file:// is read from disk, s3:// with
//     S3's ListObjectsV2 and GetObject (signed with the AWS credentials of the environment).
//   - Pulumi Cloud: `pulumi stack ls --json` sets `updateInProgress` for a stack with an active
//     update (pkg/cmd/pulumi/stack/stack_list.go; the cloud backend supports progress, DIY does not).
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";


import type { StackLock } from "./release-state";

/** Whether a lock's process still runs here; undefined for another host's lock (cannot be checked). */
function aliveHere(pid: number, hostname: string): boolean | undefined {
    if (hostname !== os.hostname()) return undefined;
    // A pid reused by another program is not our pulumi: read what runs under it.
    try {
        return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith("pulumi");
    } catch {
        return false;
    }
}

/** A lock file's JSON as the engine writes it (lockContent). */
function toLock(where: string, text: string): StackLock {
    const l = JSON.parse(text) as { pid: number; hostname: string; username?: string; timestamp?: string };
    const alive = aliveHere(l.pid, l.hostname);
    return {
        file: where, pid: l.pid, hostname: l.hostname,
        ...(l.username ? { username: l.username } : {}), ...(l.timestamp ? { timestamp: l.timestamp } : {}), ...(alive === undefined ? {} : { alive }),
    };
}

/** The lock directory of a stack, relative to the backend's root (project-scoped layout). */
export const lockPrefix = (project: string, stack: string) => `.pulumi/locks/organization/${project}/${stack}/`;

/** The stack's lock files in a file:// backend. */
export function fileLocks(backendUrl: string, project: string, stack: string): StackLock[] {
    const dir = path.join(backendUrl.slice("file://".length).split("?")[0], lockPrefix(project, stack));
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => toLock(path.join(dir, f), fs.readFileSync(path.join(dir, f), "utf8")));
}

/** How to reach an s3:// backend, from its URL as gocloud.dev reads it (both spellings of each option). */
export interface S3Target {
    readonly base: string; // scheme://host[:port], the bucket in the path when path-style
    readonly bucket: string;
    readonly prefix: string; // key prefix of the backend inside the bucket ("" or "a/b/")
    readonly region: string;
    readonly pathStyle: boolean;
}

export function s3Target(backendUrl: string, env: NodeJS.ProcessEnv): S3Target {
    const u = new URL(backendUrl);
    const q = u.searchParams;
    const region = q.get("region") ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
    const insecure = q.get("disableSSL") === "true" || q.get("disable_https") === "true";
    const pathStyle = q.get("s3ForcePathStyle") === "true" || q.get("use_path_style") === "true";
    const endpoint = q.get("endpoint");
    const scheme = insecure ? "http" : "https";
    const host = endpoint ? endpoint.replace(/^https?:\/\//, "") : pathStyle ? `s3.${region}.amazonaws.com` : `${u.hostname}.s3.${region}.amazonaws.com`;
    const base = endpoint && /^https?:\/\//.test(endpoint) ? endpoint.replace(/\/$/, "") : `${scheme}://${host}`;
    const prefix = u.pathname.replace(/^\/+|\/+$/g, "");
    return { base, bucket: u.hostname, prefix: prefix ? `${prefix}/` : "", region, pathStyle: pathStyle || endpoint !== null };
}

const sha256 = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");
const hmac = (key: crypto.BinaryLike, data: string) => crypto.createHmac("sha256", key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it (S3: the path's slashes kept). */
function enc(s: string, keepSlash = false): string {
    const e = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return keepSlash ? e.replace(/%2F/g, "/") : e;
}

/** AWS credentials from the environment (the only source read here: no profile files, no IMDS). */
export interface AwsCredentials { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }

/**
 * Headers of an S3 request signed with AWS Signature Version 4 (a GET with an empty body).
 * `host` is the Host header; `path` the URI path, unencoded; `query` the query parameters.
 */
export function signS3Get(o: { host: string; path: string; query: Record<string, string>; region: string; credentials: AwsCredentials; now: Date; extraHeaders?: Record<string, string> }): Record<string, string> {
    const amzDate = o.now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
    const day = amzDate.slice(0, 8);
    const payload = sha256("");
    const headers: Record<string, string> = {
        host: o.host, "x-amz-content-sha256": payload, "x-amz-date": amzDate,
        ...(o.credentials.sessionToken ? { "x-amz-security-token": o.credentials.sessionToken } : {}),
        ...Object.fromEntries(Object.entries(o.extraHeaders ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    };
    const names = Object.keys(headers).sort();
    const canonicalQuery = Object.keys(o.query).sort().map((k) => `${enc(k)}=${enc(o.query[k])}`).join("&");
    const canonical = ["GET", enc(o.path, true), canonicalQuery, ...names.map((n) => `${n}:${headers[n].trim()}`), "", names.join(";"), payload].join("\n");
    const scope = `${day}/${o.region}/s3/aws4_request`;
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
    const key = hmac(hmac(hmac(hmac(`AWS4${o.credentials.secretAccessKey}`, day), o.region), "s3"), "aws4_request");
    const signature = crypto.createHmac("sha256", key).update(toSign).digest("hex");
    return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${o.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}` };
}

/** The stack's lock objects in an s3:// backend. Throws when the bucket cannot be read. */
export async function s3Locks(backendUrl: string, project: string, stack: string, env: NodeJS.ProcessEnv): Promise<StackLock[]> {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
        throw new Error("reading the S3 backend's locks needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment, e.g. eval \"$(aws configure export-credentials --format env)\"");
    }
    const credentials: AwsCredentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
    const t = s3Target(backendUrl, env);
    const host = new URL(t.base).host;
    const get = async (key: string | undefined, query: Record<string, string>) => {
        const p = t.pathStyle ? `/${t.bucket}${key === undefined ? "" : `/${key}`}` : `/${key ?? ""}`;
        const headers = signS3Get({ host, path: p, query, region: t.region, credentials, now: new Date() });
        const qs = Object.keys(query).sort().map((k) => `${enc(k)}=${enc(query[k])}`).join("&");
        const res = await fetch(`${t.base}${enc(p, true)}${qs ? `?${qs}` : ""}`, { headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== "host")), signal: AbortSignal.timeout(15_000) });
        const body = await res.text();
        if (!res.ok) throw new Error(`S3 GET ${p}${qs ? `?${qs}` : ""} at ${t.base}: HTTP ${res.status} ${body.slice(0, 200)}`);
        return body;
    };
    const prefix = `${t.prefix}${lockPrefix(project, stack)}`;
    const keys: string[] = [];
    let token: string | undefined;
    do {
        const xml = await get(undefined, { "list-type": "2", prefix, ...(token ? { "continuation-token": token } : {}) });
        for (const m of xml.matchAll(/<Key>([^<]+)<\/Key>/g)) keys.push(m[1].replace(/&amp;/g, "&"));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]+)</.exec(xml)?.[1] : undefined;
    } while (token);
    const locks: StackLock[] = [];
    for (const key of keys.filter((k) => k.endsWith(".json"))) locks.push(toLock(`s3://${t.bucket}/${key}`, await get(key, {})));
    return locks;
}

/** What the backend says about the stack: its locks (self-managed), or an update in progress (Pulumi Cloud). */
export type BackendReport = { readonly locks: StackLock[]; readonly updateInProgress?: string } | { readonly unknown: string };

/**
 * The stack's locks or active update, by backend kind. `stackLs` runs `pulumi stack ls --json`
 * for the Pulumi Cloud case (injected so the decision is testable without a cloud).
 */
export async function backendReport(backendUrl: string | undefined, project: string, stack: string, env: NodeJS.ProcessEnv, stackLs: () => { code: number; stdout: string; stderr: string }): Promise<BackendReport> {
    const url = backendUrl ?? "https://api.pulumi.com";
    try {
        if (url.startsWith("file://")) return { locks: fileLocks(url, project, stack) };
        if (url.startsWith("s3://")) return { locks: await s3Locks(url, project, stack, env) };
        if (/^https?:\/\//.test(url)) {
            const r = stackLs();
            if (r.code !== 0) return { unknown: `pulumi stack ls --json: ${r.stderr.trim().split("\n").slice(-2).join(" ")}` };
            const name = stack.split("/").pop();
            const mine = (JSON.parse(r.stdout) as Array<{ name: string; updateInProgress?: boolean }>).filter((s) => s.name.split("/").pop() === name);
            if (mine.length === 0) return { unknown: `pulumi stack ls --json does not list stack ${stack}` };
            return mine.some((s) => s.updateInProgress === true) ? { locks: [], updateInProgress: `Pulumi Cloud reports an update of ${stack} in progress` } : { locks: [] };
        }
        return { unknown: `cannot read the locks of backend ${url.split("?")[0]} (file://, s3:// and Pulumi Cloud are read)` };
    } catch (e) {
        return { unknown: (e as Error).message };
    }
}
