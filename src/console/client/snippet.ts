/**
 * A request as code to paste: curl, or the openai SDK for Python or JavaScript.
 * The key is never printed: the snippets read it from OPENAI_API_KEY, which is
 * also where the openai SDKs look for it.
 */

export type SnippetLanguage = "curl" | "python" | "javascript";

export const SNIPPET_LANGUAGES: ReadonlyArray<[SnippetLanguage, string]> = [
  ["curl", "curl"],
  ["python", "Python (openai)"],
  ["javascript", "JavaScript (openai)"],
];

/** JSON as a Python literal (true/false/null → True/False/None), indented like json.dumps. */
function pythonLiteral(value: unknown, indent = 0): string {
  const pad = "    ".repeat(indent + 1);
  const end = "    ".repeat(indent);
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number" || typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => pad + pythonLiteral(v, indent + 1)).join(",\n")},\n${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  return `{\n${entries
    .map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 1)}`)
    .join(",\n")},\n${end}}`;
}

/** A string in single quotes for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * @param path "/chat/completions" or "/embeddings"
 * @param body the JSON body
 * @param origin the gateway's origin, e.g. http://127.0.0.1:8080
 */
export function snippet(
  language: SnippetLanguage,
  path: "/chat/completions" | "/embeddings",
  body: Record<string, unknown>,
  origin: string,
): string {
  const base = `${origin}/v1`;
  const streaming = body.stream === true;
  if (language === "curl") {
    return [
      `curl ${streaming ? "-N " : ""}${base}${path} \\`,
      `  -H "Authorization: Bearer $OPENAI_API_KEY" \\`,
      `  -H "Content-Type: application/json" \\`,
      `  -d ${shellQuote(JSON.stringify(body, null, 2))}`,
    ].join("\n");
  }
  const method = path === "/embeddings" ? "embeddings.create" : "chat.completions.create";
  if (language === "python") {
    const args = Object.entries(body)
      .map(([k, v]) => `    ${k}=${pythonLiteral(v, 1)},`)
      .join("\n");
    const use =
      path === "/embeddings"
        ? "print(len(response.data[0].embedding), response.usage)"
        : streaming
          ? 'for chunk in response:\n    if chunk.choices and chunk.choices[0].delta.content:\n        print(chunk.choices[0].delta.content, end="", flush=True)'
          : "print(response.choices[0].message.content)";
    return `from openai import OpenAI\n\nclient = OpenAI(base_url=${JSON.stringify(base)})  # key from OPENAI_API_KEY\n\nresponse = client.${method}(\n${args}\n)\n${use}\n`;
  }
  const use =
    path === "/embeddings"
      ? "console.log(response.data[0].embedding.length, response.usage);"
      : streaming
        ? 'for await (const chunk of response) {\n  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");\n}'
        : "console.log(response.choices[0].message.content);";
  return `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: ${JSON.stringify(base)} }); // key from OPENAI_API_KEY\n\nconst response = await client.${method.replace(/\.create$/, ".create")}(${JSON.stringify(body, null, 2)});\n${use}\n`;
}
