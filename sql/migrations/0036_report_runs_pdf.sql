-- 0036: a report run may be a PDF (the HTML report printed by headless Chromium on the server).

ALTER TABLE report_runs DROP CONSTRAINT report_runs_format;
ALTER TABLE report_runs ADD CONSTRAINT report_runs_format CHECK (format IN ('md', 'html', 'json', 'pdf'));
