import { z } from 'zod';
import { envBool, envEmptyIsValue, envInt } from '@x0/service-kit';

const httpUrl = z
  .string()
  .trim()
  .regex(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' });

/** Environment variables of the knowledge service (besides the common ones). */
export const knowledgeConfigShape = {
  /** Incidents kept in memory for ListIncidents (all are in KV). */
  KNOWLEDGE_INCIDENT_INDEX: envInt(10_000, 1, 10_000_000),
  /** Folder of Markdown runbooks ingested at start (set but empty = none; unset = deploy/runbooks). */
  KNOWLEDGE_RUNBOOKS_DIR: envEmptyIsValue(z.string().trim().default('deploy/runbooks')),
  /** Qdrant to use instead of the embedded vector store (e.g. http://qdrant:6333). */
  QDRANT_URL: httpUrl.optional(),
  QDRANT_API_KEY: z.string().trim().optional(),
  /** Embedded store: fsync every write (true) or leave it to the OS (false, faster, may lose the last writes on power loss). */
  KNOWLEDGE_FSYNC: envBool(true),
  /** OpenAI-compatible /v1/embeddings endpoint for runbook text (default: local hashed n-grams). */
  EMBEDDINGS_URL: httpUrl.optional(),
  EMBEDDINGS_MODEL: z.string().trim().optional(),
  EMBEDDINGS_API_KEY: z.string().trim().optional(),
  EMBEDDINGS_DIM: envInt(256, 8, 65_536),
  /** Runbook answers are cached this long per query (they change only on ingest). */
  KNOWLEDGE_RUNBOOK_CACHE_S: envInt(60, 0, 86_400),
  /**
   * Embedded store: threads that build its search graphs during a bulk catch-up (0 = the cores
   * Node sees). Set it to the CPU limit of a container: Node sees the host's cores.
   */
  KNOWLEDGE_INDEX_THREADS: envInt(0, 0, 256),
};
