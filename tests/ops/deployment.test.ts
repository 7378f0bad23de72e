/**
 * Static checks that deployment/ecs-fargate.json and the Dockerfile agree
 * with the app (Docker and AWS are not available here, so these files are
 * checked by reading them): environment variables the config knows, port,
 * health path, timeouts consistent with the stream timeouts, least-privilege
 * IAM, and a non-root image built from the lockfile.
 */
import { describe, expect, test } from "bun:test";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config";
import { type OpsStack, startOpsStack } from "./helpers";

const ROOT = `${import.meta.dir}/../..`;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Template {
  Parameters: Record<string, { Type: string; Default?: string | number; AllowedValues?: string[] }>;
  Conditions: Record<string, Json>;
  Resources: Record<string, { Type: string; Properties: Record<string, Json>; DependsOn?: Json }>;
  Outputs: Record<string, Json>;
}

const template = (await Bun.file(`${ROOT}/deployment/ecs-fargate.json`).json()) as Template;

/** Variables the AWS SDK reads itself (the config deliberately leaves them to it). */
const AWS_SDK_VARIABLES = new Set([
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_MAX_ATTEMPTS",
  "AWS_RETRY_MODE",
  "AWS_ENDPOINT_URL",
  "AWS_ENDPOINT_URL_BEDROCK",
  "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
  "AWS_BEARER_TOKEN_BEDROCK",
]);

function resourcesOfType(type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
function only(type: string) {
  const all = resourcesOfType(type);
  expect(all).toHaveLength(1);
  return (all[0] as [string, Template["Resources"][string]])[1].Properties;
}
function container() {
  const defs = only("AWS::ECS::TaskDefinition").ContainerDefinitions as Json[];
  expect(defs).toHaveLength(1);
  return defs[0] as Record<string, Json>;
}
/** Parameter values of the stack under test: defaults unless a test sets others. */
const REQUIRED_PARAMS = {
  ApiKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-key",
};
let stackParams: Record<string, string> = { ...REQUIRED_PARAMS };
function paramValue(name: string): string {
  if (name in stackParams) return stackParams[name] as string;
  if (name === "AWS::Region") return "us-east-1";
  const p = template.Parameters[name];
  if (p?.Default !== undefined) return String(p.Default);
  throw new Error(`no value for parameter ${name}`);
}
/** Evaluates a condition expression (Fn::Equals/Not/Or/And, Condition) with the stack's parameters. */
function condition(v: Json): boolean {
  const o = v as Record<string, Json>;
  if (typeof o.Condition === "string") return condition(template.Conditions[o.Condition] as Json);
  const args = Object.values(o)[0] as Json[];
  if ("Fn::Equals" in o) return resolve(args[0] as Json) === resolve(args[1] as Json);
  if ("Fn::Not" in o) return !condition(args[0] as Json);
  if ("Fn::Or" in o) return args.some((a) => condition(a));
  if ("Fn::And" in o) return args.every((a) => condition(a));
  throw new Error(`cannot evaluate ${JSON.stringify(v)}`);
}
const NO_VALUE = Symbol("AWS::NoValue");
/** Fn::If resolved; NO_VALUE for AWS::NoValue. */
function choose(v: Json): Json | typeof NO_VALUE {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    if (v.Ref === "AWS::NoValue") return NO_VALUE;
    const f = v["Fn::If"] as [string, Json, Json] | undefined;
    if (f) return choose(condition({ Condition: f[0] }) ? f[1] : f[2]);
  }
  return v;
}
/** A literal, a Ref to a parameter (default or set by the test), an Fn::If, or an Fn::Sub (attributes become placeholders). */
function resolve(v: Json): string {
  const c = choose(v);
  if (c === NO_VALUE) throw new Error("AWS::NoValue where a value is needed");
  if (typeof c === "string" || typeof c === "number") return String(c);
  if (c && typeof c === "object" && !Array.isArray(c)) {
    if (typeof c.Ref === "string") {
      // A resource's Ref: a placeholder ARN (the secrets are the only ones resolved here).
      if (c.Ref in template.Resources)
        return `arn:aws:secretsmanager:us-east-1:123456789012:secret:${c.Ref}`;
      return paramValue(c.Ref);
    }
    if (typeof c["Fn::Sub"] === "string") {
      return c["Fn::Sub"].replace(/\$\{([^}]+)\}/g, (_, name: string) =>
        name.includes(".")
          ? name.endsWith(".Port")
            ? "5432"
            : `${name.split(".")[0]?.toLowerCase()}.example.internal`
          : name in template.Resources
            ? `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`
            : paramValue(name),
      );
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(v)}`);
}
/** A list with its Fn::If items chosen and AWS::NoValue items dropped. */
function items<T>(list: Json): T[] {
  return (list as Json[]).map(choose).filter((x) => x !== NO_VALUE) as T[];
}
function containerEnv(): Record<string, string> {
  const env = items<{ Name: string; Value: Json }>(container().Environment as Json);
  return Object.fromEntries(env.map((e) => [e.Name, resolve(e.Value)]));
}
function containerSecrets(): Record<string, string> {
  const secrets = items<{ Name: string; ValueFrom: Json }>(container().Secrets as Json);
  return Object.fromEntries(secrets.map((e) => [e.Name, resolve(e.ValueFrom)]));
}
function attribute(list: Json, key: string): string {
  const found = (list as { Key: string; Value: Json }[]).find((a) => a.Key === key);
  if (!found) throw new Error(`no attribute ${key}`);
  return resolve(found.Value);
}

describe("deployment/ecs-fargate.json", () => {
  test("every environment variable and secret it sets is one the gateway or the AWS SDK reads", () => {
    const names = [...Object.keys(containerEnv()), ...Object.keys(containerSecrets())];
    const unknown = names.filter((n) => !CONFIG_VARIABLES.includes(n) && !AWS_SDK_VARIABLES.has(n));
    expect(unknown).toEqual([]);
  });

  test("the environment it sets is a valid configuration", () => {
    const config = loadConfig({ ...containerEnv(), API_KEY: "from-secrets-manager" });
    expect(config.port).toBe(8080);
    expect(config.host).toBe("0.0.0.0");
  });

  test("the API key comes from Secrets Manager, never from plain environment", () => {
    expect(containerEnv().API_KEY).toBeUndefined();
    // With the default parameters (no admin API, no database, no cache): only the API key.
    expect(containerSecrets()).toEqual({ API_KEY: paramValue("ApiKeySecretArn") });
    // The execution role (which injects secrets) may read that one secret, nothing else.
    const exec = JSON.stringify(template.Resources.ExecutionRole?.Properties.Policies);
    expect(exec).toContain(
      '"Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"ApiKeySecretArn"}',
    );
  });

  test("port and health path match the app, and /health answers 200 there", async () => {
    const env = containerEnv();
    const mappings = container().PortMappings as { ContainerPort: number }[];
    const tg = only("AWS::ElasticLoadBalancingV2::TargetGroup");
    const service = only("AWS::ECS::Service");
    const lbs = service.LoadBalancers as { ContainerPort: number; ContainerName: string }[];
    expect(mappings.map((m) => m.ContainerPort)).toEqual([Number(env.PORT)]);
    expect(tg.Port).toBe(Number(env.PORT));
    expect(lbs[0]?.ContainerPort).toBe(Number(env.PORT));
    expect(lbs[0]?.ContainerName).toBe(container().Name as string);
    expect(loadConfig({}).port).toBe(Number(env.PORT));

    let stack: OpsStack | undefined;
    try {
      stack = await startOpsStack();
      const res = await fetch(`${stack.gw.url}${tg.HealthCheckPath as string}`);
      expect(res.status).toBe(200);
      expect(tg.Matcher).toEqual({ HttpCode: String(res.status) });
    } finally {
      await stack?.stop();
    }
  });

  test("timeouts agree: ALB idle > request and stream-idle timeouts; stopTimeout > drain deadline", () => {
    const env = containerEnv();
    const config = loadConfig(env);
    const lb = only("AWS::ElasticLoadBalancingV2::LoadBalancer");
    const idle = Number(
      attribute(lb.LoadBalancerAttributes as Json, "idle_timeout.timeout_seconds"),
    );
    // A non-stream answer sends no byte until Bedrock is done: the ALB must wait that long.
    expect(idle * 1000).toBeGreaterThan(config.requestTimeoutMs);
    expect(idle * 1000).toBeGreaterThan(config.streamIdleTimeoutMs);
    expect(idle * 1000).toBeGreaterThan(config.streamKeepaliveMs);
    // The gateway must not close an idle connection the ALB may still reuse (0 = never).
    expect(config.httpIdleTimeoutSeconds === 0 || config.httpIdleTimeoutSeconds > idle).toBe(true);

    const stopTimeout = container().StopTimeout as number;
    expect(stopTimeout).toBeLessThanOrEqual(120); // Fargate's maximum
    // The drain deadline, then 2 s for interrupted streams to write their error frame.
    expect(stopTimeout * 1000).toBeGreaterThan(config.shutdownDrainMs + 2_000);

    const tg = only("AWS::ElasticLoadBalancingV2::TargetGroup");
    const dereg = Number(
      attribute(tg.TargetGroupAttributes as Json, "deregistration_delay.timeout_seconds"),
    );
    // ECS waits for deregistration before SIGTERM: that is where most streams finish.
    expect(dereg * 1000).toBeGreaterThanOrEqual(config.streamIdleTimeoutMs);
  });

  test("Fargate on arm64, logs to CloudWatch, /health as the health check", () => {
    const td = only("AWS::ECS::TaskDefinition");
    expect(td.RuntimePlatform).toEqual({
      CpuArchitecture: "ARM64",
      OperatingSystemFamily: "LINUX",
    });
    expect(td.RequiresCompatibilities).toEqual(["FARGATE"]);
    const log = container().LogConfiguration as {
      LogDriver: string;
      Options: Record<string, Json>;
    };
    expect(log.LogDriver).toBe("awslogs");
    expect(log.Options["awslogs-group"]).toEqual({ Ref: "LogGroup" });
    expect(template.Resources.LogGroup?.Type).toBe("AWS::Logs::LogGroup");
    const hc = (container().HealthCheck as { Command: string[] }).Command.join(" ");
    expect(hc).toContain(`:${containerEnv().PORT}/health`);
  });

  test("HTTPS with an ACM certificate parameter; HTTP only redirects", () => {
    const listeners = resourcesOfType("AWS::ElasticLoadBalancingV2::Listener").map(
      ([, r]) => r.Properties,
    );
    const https = listeners.find((l) => l.Protocol === "HTTPS");
    const http = listeners.find((l) => l.Protocol === "HTTP");
    expect(listeners).toHaveLength(2);
    expect(https?.Port).toBe(443);
    expect(https?.Certificates).toEqual([{ CertificateArn: { Ref: "CertificateArn" } }]);
    expect(template.Parameters.CertificateArn?.Type).toBe("String");
    expect(http?.Port).toBe(80);
    expect(http?.DefaultActions).toEqual([
      {
        Type: "redirect",
        RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" },
      },
    ]);
  });

  test("service autoscaling on CPU and on ALB request count", () => {
    const policies = resourcesOfType("AWS::ApplicationAutoScaling::ScalingPolicy").map(
      ([, r]) =>
        (
          r.Properties.TargetTrackingScalingPolicyConfiguration as {
            PredefinedMetricSpecification: { PredefinedMetricType: string };
          }
        ).PredefinedMetricSpecification.PredefinedMetricType,
    );
    expect(policies.sort()).toEqual([
      "ALBRequestCountPerTarget",
      "ECSServiceAverageCPUUtilization",
    ]);
    const target = only("AWS::ApplicationAutoScaling::ScalableTarget");
    expect(target.ScalableDimension).toBe("ecs:service:DesiredCount");
  });

  test("the task role allows exactly the Bedrock calls the gateway makes", () => {
    const role = template.Resources.TaskRole?.Properties as {
      Policies: { PolicyDocument: { Statement: { Action: string[]; Resource: Json }[] } }[];
      ManagedPolicyArns?: Json;
    };
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => s.Action).sort();
    expect(actions).toEqual([
      "bedrock:GetInferenceProfile",
      "bedrock:InvokeModel",
      "bedrock:InvokeModelWithResponseStream",
      "bedrock:ListFoundationModels",
      "bedrock:ListInferenceProfiles",
    ]);
    for (const s of statements) {
      if (s.Resource === "*") {
        // Only read-only listing gets a wildcard resource.
        expect(s.Action.every((a) => /^bedrock:(List|Get)/.test(a))).toBe(true);
      } else {
        const arns = (s.Resource as { "Fn::Sub": string }[]).map((r) => r["Fn::Sub"]);
        expect(arns.map((a) => a.replace(/.*:/, ""))).toEqual([
          "foundation-model/*",
          "inference-profile/*",
          "application-inference-profile/*",
        ]);
      }
    }
  });

  test("every Ref, GetAtt and Sub names a parameter, a resource or a pseudo parameter", () => {
    const known = new Set([
      ...Object.keys(template.Parameters),
      ...Object.keys(template.Resources),
      "AWS::Region",
      "AWS::AccountId",
      "AWS::Partition",
      "AWS::StackName",
      "AWS::NoValue",
    ]);
    const missing: string[] = [];
    const walk = (v: Json): void => {
      if (Array.isArray(v)) {
        for (const x of v) walk(x);
        return;
      }
      if (!v || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v)) {
        if (k === "Ref" && typeof x === "string" && !known.has(x)) missing.push(x);
        if (k === "Fn::GetAtt" && Array.isArray(x) && !known.has(String(x[0])))
          missing.push(String(x[0]));
        if (k === "Fn::Sub" && typeof x === "string") {
          for (const m of x.matchAll(/\$\{([^}.]+)(?:\.[^}]+)?\}/g)) {
            if (!known.has(m[1] as string)) missing.push(m[1] as string);
          }
        }
        walk(x);
      }
    };
    walk(template as unknown as Json);
    expect(missing).toEqual([]);
  });
});

describe("deployment/ecs-fargate.json: virtual keys on a fleet (database, cache, admin key)", () => {
  const ADMIN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:admin";
  const DB_URL = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-url";
  const REDIS = "arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-url";
  const combos: Array<Record<string, string>> = [
    { Database: "aurora-serverless", Cache: "elasticache-valkey", AdminApiKeySecretArn: ADMIN },
    { Database: "rds-postgres", Cache: "none", AdminApiKeySecretArn: ADMIN },
    {
      Database: "external",
      DatabaseUrlSecretArn: DB_URL,
      Cache: "external",
      RedisUrlSecretArn: REDIS,
      AdminApiKeySecretArn: ADMIN,
    },
    { Database: "none", Cache: "none" },
  ];
  const withParams = <T>(p: Record<string, string>, f: () => T): T => {
    stackParams = { ...REQUIRED_PARAMS, ...p };
    try {
      return f();
    } finally {
      stackParams = { ...REQUIRED_PARAMS };
    }
  };
  /** Resources that exist with the stack's parameters. */
  const created = () =>
    Object.entries(template.Resources).filter(
      ([, r]) =>
        (r as unknown as { Condition?: string }).Condition === undefined ||
        condition({ Condition: (r as unknown as { Condition: string }).Condition }),
    );

  test.each(combos)("%j: a valid configuration, every secret from Secrets Manager", (p) => {
    withParams(p, () => {
      const env = containerEnv();
      const secrets = containerSecrets();
      const names = [...Object.keys(env), ...Object.keys(secrets)];
      expect(
        names.filter((n) => !CONFIG_VARIABLES.includes(n) && !AWS_SDK_VARIABLES.has(n)),
      ).toEqual([]);
      // No variable is set twice (environment and secret).
      expect(new Set(names).size).toBe(names.length);
      // Secrets as placeholders, as ECS would inject them.
      const injected = Object.fromEntries(
        Object.keys(secrets).map((k) => [
          k,
          k === "DATABASE_URL"
            ? "postgres://u:p@db.example.internal:5432/gateway"
            : k === "REDIS_URL"
              ? "rediss://cache.example.internal:6379"
              : "x".repeat(32),
        ]),
      );
      const config = loadConfig({ ...env, ...injected });
      const db = p.Database ?? "none";
      expect(config.databaseUrl !== undefined).toBe(db !== "none");
      expect(config.redisUrl !== undefined).toBe((p.Cache ?? "none") !== "none");
      expect(config.adminApiKey !== undefined).toBe(p.AdminApiKeySecretArn !== undefined);
      if (db === "aurora-serverless" || db === "rds-postgres") {
        // The password is a Secrets Manager JSON key, never in the environment.
        expect(env.DATABASE_URL).toMatch(
          /^postgres:\/\/gateway@[^:]+:5432\/gateway\?sslmode=require$/,
        );
        expect(secrets.DATABASE_PASSWORD).toMatch(/:secret:DatabaseSecret:password::$/);
        expect(config.databaseUrl).toContain(`gateway:${"x".repeat(32)}@`);
      }
      if (p.Cache === "elasticache-valkey") expect(env.REDIS_URL).toMatch(/^rediss:\/\//);
      // The execution role can read exactly the secrets the task gets.
      const policies = items<{ PolicyDocument: { Statement: { Resource: Json }[] } }>(
        template.Resources.ExecutionRole?.Properties.Policies as Json,
      );
      const readable = policies
        .flatMap((x) => x.PolicyDocument.Statement)
        .map((st) => resolve(st.Resource))
        .sort();
      const needed = [
        ...new Set(Object.values(secrets).map((v) => v.replace(/:[^:]*::$/, ""))),
      ].sort();
      expect(readable).toEqual(needed);
    });
  });

  test.each(combos)("%j: a database or cache it creates is reachable from the tasks only", (p) => {
    withParams(p, () => {
      const resources = created();
      const types = resources.map(([, r]) => r.Type);
      const db = p.Database ?? "none";
      expect(types.includes("AWS::RDS::DBCluster")).toBe(db === "aurora-serverless");
      expect(types.includes("AWS::RDS::DBInstance")).toBe(
        db === "aurora-serverless" || db === "rds-postgres",
      );
      expect(types.includes("AWS::ElastiCache::ReplicationGroup")).toBe(
        p.Cache === "elasticache-valkey",
      );
      for (const [name, r] of resources) {
        if (r.Type === "AWS::RDS::DBInstance") {
          expect(r.Properties.PubliclyAccessible).toBe(false);
        }
        if (r.Type === "AWS::RDS::DBCluster" || r.Type === "AWS::RDS::DBInstance") {
          if (r.Properties.MasterUserPassword !== undefined) {
            expect(JSON.stringify(r.Properties.MasterUserPassword)).toContain(
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, literally
              "{{resolve:secretsmanager:${DatabaseSecret}",
            );
          }
          if (r.Properties.Engine !== "aurora-postgresql" || r.Type === "AWS::RDS::DBCluster") {
            expect(r.Properties.StorageEncrypted).toBe(true);
          }
        }
        if (r.Type === "AWS::ElastiCache::ReplicationGroup") {
          expect(r.Properties.TransitEncryptionEnabled).toBe(true);
          expect(r.Properties.Engine).toBe("valkey");
        }
        if (r.Type === "AWS::EC2::SecurityGroup" && name !== "LoadBalancerSecurityGroup") {
          // Tasks: from the load balancer; database and cache: from the tasks; never a CIDR.
          const ingress = r.Properties.SecurityGroupIngress as Array<Record<string, Json>>;
          const from =
            name === "TaskSecurityGroup" ? "LoadBalancerSecurityGroup" : "TaskSecurityGroup";
          expect(ingress.length).toBeGreaterThan(0);
          for (const rule of ingress) {
            expect(rule.CidrIp).toBeUndefined();
            expect(rule.SourceSecurityGroupId).toEqual({ "Fn::GetAtt": [from, "GroupId"] });
          }
        }
      }
    });
  });

  test("logical ids are unique across parameters, conditions and resources", () => {
    const params = Object.keys(template.Parameters);
    const clash = Object.keys(template.Resources).filter((r) => params.includes(r));
    expect(clash).toEqual([]);
  });

  test("rules refuse the admin API without a shared database, and new resources without subnets", () => {
    const rules = (
      template as unknown as {
        Rules: Record<string, { RuleCondition: Json; Assertions: { Assert: Json }[] }>;
      }
    ).Rules;
    const failing = (p: Record<string, string>) =>
      withParams(p, () =>
        Object.entries(rules)
          .filter(([, r]) => condition(r.RuleCondition))
          .filter(([, r]) =>
            r.Assertions.some((a) => {
              const x = a.Assert as Record<string, Json>;
              const inner = (x["Fn::Not"] as Json[] | undefined)?.[0] as
                | Record<string, Json>
                | undefined;
              if (inner && "Fn::EachMemberEquals" in inner) {
                // CommaDelimitedList parameters: "" is the one empty member.
                const [ref, value] = inner["Fn::EachMemberEquals"] as [Json, string];
                return resolve(ref)
                  .split(",")
                  .every((m) => m === value);
              }
              return !condition(x);
            }),
          )
          .map(([name]) => name),
      );
    expect(failing({})).toEqual([]);
    expect(failing({ AdminApiKeySecretArn: "arn:aws:secretsmanager:x" })).toEqual([
      "AdminApiNeedsSharedDatabase",
    ]);
    expect(failing({ Database: "aurora-serverless" })).toEqual(["NewDatabaseNeedsSubnets"]);
    expect(failing({ Database: "rds-postgres", DatabaseSubnetIds: "subnet-1,subnet-2" })).toEqual(
      [],
    );
    expect(failing({ Database: "external" })).toEqual(["ExternalDatabaseNeedsSecret"]);
    expect(failing({ Cache: "elasticache-valkey" })).toEqual(["NewCacheNeedsSubnets"]);
    expect(failing({ Cache: "external" })).toEqual(["ExternalCacheNeedsSecret"]);
  });
});

describe("Dockerfile", () => {
  const dockerfile = Bun.file(`${ROOT}/Dockerfile`).text();
  /** Instructions with continuation lines joined, comments dropped. */
  const instructions = async () =>
    (await dockerfile)
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"))
      .map((l) => {
        const i = l.indexOf(" ");
        return { op: l.slice(0, i).toUpperCase(), args: l.slice(i + 1).trim() };
      });

  test("official Bun image of the version we test on, multi-stage", async () => {
    const ins = await instructions();
    const version = (
      ins.find((i) => i.op === "ARG" && i.args.startsWith("BUN_VERSION="))?.args ?? ""
    ).split("=")[1];
    expect(version).toBe(Bun.version);
    const froms = ins.filter((i) => i.op === "FROM").map((i) => i.args);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toStartWith("oven/bun:$" + "{BUN_VERSION}");
  });

  test("dependencies from the lockfile only, production only", async () => {
    const runs = (await instructions()).filter((i) => i.op === "RUN").map((i) => i.args);
    const install = runs.find((r) => r.startsWith("bun install"));
    expect(install).toContain("--frozen-lockfile");
    expect(install).toContain("--production");
  });

  test("runs as a non-root user, exposes the port, health-checks /health, starts src/index.ts", async () => {
    const ins = await instructions();
    const users = ins.filter((i) => i.op === "USER").map((i) => i.args);
    const last = users.at(-1) ?? "root";
    expect(["root", "0", "0:0", "root:root"]).not.toContain(last);
    // USER comes after the last COPY/RUN of the final stage, so the process never runs as root.
    const lastFrom = ins.findLastIndex((i) => i.op === "FROM");
    expect(ins.findLastIndex((i) => i.op === "USER")).toBeGreaterThan(lastFrom);
    expect(ins.filter((i) => i.op === "EXPOSE").map((i) => i.args)).toEqual([
      String(loadConfig({}).port),
    ]);
    const hc = ins.find((i) => i.op === "HEALTHCHECK")?.args ?? "";
    expect(hc).toContain("/health");
    expect(hc).toContain("bun");
    expect(ins.find((i) => i.op === "CMD")?.args).toBe('["bun", "run", "src/index.ts"]');
    // The SQLite store's directory exists, belongs to the runtime user, and is a volume.
    const env = ins
      .filter((i) => i.op === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toContain("DATA_DIR=/app/data");
    expect(ins.some((i) => i.op === "RUN" && /chown bun(:bun)? \/app\/data/.test(i.args))).toBe(
      true,
    );
    expect(ins.find((i) => i.op === "VOLUME")?.args).toBe('["/app/data"]');
  });

  test(".dockerignore keeps node_modules, tests and secrets out of the build context", async () => {
    const lines = (await Bun.file(`${ROOT}/.dockerignore`).text())
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    // An allow-list: everything excluded, then the few inputs the image needs.
    expect(lines[0]).toBe("*");
    const allowed = lines.filter((l) => l.startsWith("!")).map((l) => l.slice(1));
    expect(allowed.sort()).toEqual(["bun.lock", "package.json", "src/", "tsconfig.json"]);
  });
});
