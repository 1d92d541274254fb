-- Issue 17: the kind of a candidate's fee exemption (免费类别): one of
-- exam.FeeKinds when fee_exempt is 1, else ''. Candidates exempted before
-- rosters named kinds keep '' (statements call them unspecified, 未注明).
ALTER TABLE candidates ADD COLUMN fee_kind TEXT NOT NULL DEFAULT '';
