-- 0005: data-key rotation state. A key retired by `haven keys rotate-data` stays "pending" until
-- every value it sealed has been re-encrypted, so an interrupted rotation is resumed (not restarted)
-- and a finished one is never mistaken for an interrupted one.

ALTER TABLE data_keys ADD COLUMN rotation_pending boolean NOT NULL DEFAULT false;
ALTER TABLE data_keys ADD CONSTRAINT data_keys_pending_is_retired CHECK (NOT rotation_pending OR state = 'retired');
