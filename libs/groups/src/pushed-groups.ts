/**
 * The writes of a group pushed by an identity provider, owned here with the rest of the groups table. Each is a
 * data-modifying CTE named `g`, returning `returning`, so that the SCIM layer completes it — with the activity
 * event, and its answer — into one statement. Parameters: $1 the tenant, $2 the integration, then as noted.
 */
export const pushedGroupWrites = {
  /** $3 the name, $4 the externalId, $5 the resource. */
  insert: (returning: string) =>
    `WITH g AS (INSERT INTO groups (tenant_id, integration_id, name, external_id, resource)
                VALUES ($1, $2, $3, $4, $5) RETURNING ${returning})`,

  /** $3 the id, $4 the name, $5 the externalId, $6 the resource. */
  update: (returning: string) =>
    `WITH g AS (UPDATE groups SET name = $4, external_id = $5, resource = $6, version = version + 1, updated_at = now()
                 WHERE tenant_id = $1 AND integration_id = $2 AND id = $3 RETURNING ${returning})`,

  /** $3 the id, $4 the version If-Match requires, or null. */
  delete: (returning: string) =>
    `WITH g AS (DELETE FROM groups WHERE tenant_id = $1 AND integration_id = $2 AND id = $3
                  AND ($4::int IS NULL OR version = $4) RETURNING ${returning})`,
};
