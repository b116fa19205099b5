-- 0029: drop the functions nothing calls any more, so that the schema (sql/schema.sql) shows only the
-- rules in force.
--
-- haven_in_caseload(uuid) (0006, redefined in 0009 and 0025) and haven_break_glass(text) (0020,
-- redefined in 0025) were the per-row caseload and break-glass tests of the first policies. Since
-- 0025 every policy reads the transaction's context once per statement instead,
-- `(SELECT haven_current_caseload())` and `(SELECT haven_current_break_glass())`, and the chart checks
-- use haven_client_in_caseload / haven_couple_in_caseload. No policy, function, trigger, constraint,
-- default or Swift source calls either of the two any more.
--
-- The other superseded signatures are already gone: both haven_set_context overloads (0009, 0020)
-- and the settings-era lookups by 0025, the one-argument second-factor functions by 0027. After this
-- migration no function name in the schema has more than one signature.

DROP FUNCTION haven_in_caseload(uuid);
DROP FUNCTION haven_break_glass(text);
