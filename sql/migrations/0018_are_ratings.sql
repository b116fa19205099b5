-- 0018: the counselor's A.R.E. ratings (accessible, responsive, engaged; 0–10 each) of a partner at
-- a completed couple session, for reports to chart over time. One rating per partner per session.

CREATE TABLE are_ratings (
    practice_id uuid NOT NULL,
    session_id uuid NOT NULL,
    partner_id uuid NOT NULL,
    counselor_id uuid NOT NULL,
    accessible smallint NOT NULL CONSTRAINT are_ratings_accessible CHECK (accessible BETWEEN 0 AND 10),
    responsive smallint NOT NULL CONSTRAINT are_ratings_responsive CHECK (responsive BETWEEN 0 AND 10),
    engaged smallint NOT NULL CONSTRAINT are_ratings_engaged CHECK (engaged BETWEEN 0 AND 10),
    rated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (practice_id, session_id, partner_id),
    FOREIGN KEY (practice_id, session_id) REFERENCES therapy_sessions (practice_id, id),
    FOREIGN KEY (practice_id, partner_id) REFERENCES clients (practice_id, id)
);

ALTER TABLE are_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE are_ratings FORCE ROW LEVEL SECURITY;
CREATE POLICY are_ratings_owner ON are_ratings TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY are_ratings_caseload ON are_ratings TO haven_app
    USING (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id))
    WITH CHECK (practice_id = haven_current_practice() AND haven_in_caseload(counselor_id));

GRANT SELECT, INSERT, UPDATE ON are_ratings TO haven_app;
