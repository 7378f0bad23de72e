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
  Parameters: Record<string, { Type: string; Default?: string | number }>;
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
/** A literal, or a Ref to a parameter resolved to its default. */
function resolve(v: Json): string {
  if (typeof v === "string" || typeof v === "number") return String(v);
  if (v && typeof v === "object" && !Array.isArray(v) && typeof v.Ref === "string") {
    if (v.Ref === "AWS::Region") return "us-east-1";
    const p = template.Parameters[v.Ref];
    if (p?.Default !== undefined) return String(p.Default);
  }
  throw new Error(`cannot resolve ${JSON.stringify(v)}`);
}
function containerEnv(): Record<string, string> {
  const env = container().Environment as { Name: string; Value: Json }[];
  return Object.fromEntries(env.map((e) => [e.Name, resolve(e.Value)]));
}
function attribute(list: Json, key: string): string {
  const found = (list as { Key: string; Value: Json }[]).find((a) => a.Key === key);
  if (!found) throw new Error(`no attribute ${key}`);
  return resolve(found.Value);
}

describe("deployment/ecs-fargate.json", () => {
  test("every environment variable and secret it sets is one the gateway or the AWS SDK reads", () => {
    const names = [
      ...Object.keys(containerEnv()),
      ...(container().Secrets as { Name: string }[]).map((s) => s.Name),
    ];
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
    expect(container().Secrets).toEqual([
      { Name: "API_KEY", ValueFrom: { Ref: "ApiKeySecretArn" } },
    ]);
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
