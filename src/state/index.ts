/**
 * Opens the configured store: PostgreSQL when DATABASE_URL is set, else an
 * SQLite file under DATA_DIR.
 *
 * @module
 */
import type { Config } from "../config";
import { PostgresStore } from "./postgres";
import { SqliteStore } from "./sqlite";
import type { Store } from "./types";

export type { ResponseStore, Store, StoredResponse } from "./types";

/** The store could not be opened at startup; the message says what to fix. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}

/** Strips the password from a database URL for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

type StoreConfig = Pick<Config, "dataDir" | "databaseUrl" | "databasePoolSize">;

/**
 * SQLite opens synchronously (a local file); PostgreSQL needs a round trip.
 * @throws StoreUnavailableError when the database cannot be reached or migrated
 */
export function openStore(config: StoreConfig): Store | Promise<Store> {
  return config.databaseUrl ? openPostgres(config) : openSqlite(config);
}

async function openPostgres(config: StoreConfig): Promise<Store> {
  if (config.databaseUrl) {
    try {
      return await PostgresStore.open(config.databaseUrl, { max: config.databasePoolSize });
    } catch (err) {
      throw new StoreUnavailableError(
        `Cannot open the PostgreSQL store at ${redactUrl(config.databaseUrl)} (DATABASE_URL): ${
          err instanceof Error ? err.message : String(err)
        }`,
        { cause: err },
      );
    }
  }
  return openSqlite(config);
}

function openSqlite(config: StoreConfig): Store {
  try {
    return new SqliteStore(config.dataDir);
  } catch (err) {
    throw new StoreUnavailableError(
      `Cannot open the SQLite store under DATA_DIR=${config.dataDir}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
}
