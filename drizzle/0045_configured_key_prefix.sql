-- A key made from ADMIN_API_KEY showed its first 12 characters as its prefix: in the key list,
-- in every audit trail an analyst reads, and in the log. A chosen secret is no random key, so
-- it is named by a label instead, here and in the trails that already quote it.
UPDATE campaigns SET created_by = replace(campaigns.created_by, '(' || k.prefix || '…)', '(ADMIN_API_KEY)')
FROM api_keys k
WHERE k.prefix NOT LIKE 'fst\_%' AND strpos(campaigns.created_by, '(' || k.prefix || '…)') > 0;
--> statement-breakpoint
UPDATE campaign_audit SET actor = replace(campaign_audit.actor, '(' || k.prefix || '…)', '(ADMIN_API_KEY)')
FROM api_keys k
WHERE k.prefix NOT LIKE 'fst\_%' AND strpos(campaign_audit.actor, '(' || k.prefix || '…)') > 0;
--> statement-breakpoint
UPDATE api_keys SET prefix = 'ADMIN_API_KEY' WHERE prefix NOT LIKE 'fst\_%';
