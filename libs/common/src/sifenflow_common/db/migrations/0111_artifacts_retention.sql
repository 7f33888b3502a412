-- Signed XML and every SIFEN exchange live in `artifacts` (events are append-only already, 0001).
-- Paraguayan law asks to keep them five years: the database refuses to change an artifact, or to
-- delete one younger than that, whatever the client. TRUNCATE is refused outright.
CREATE FUNCTION artifacts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'artifacts are immutable: UPDATE rejected' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.created_at > now() - interval '5 years' THEN
        RAISE EXCEPTION 'artifact % is younger than the 5-year legal retention: DELETE rejected', OLD.sha256
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER artifacts_retention BEFORE UPDATE OR DELETE ON artifacts
    FOR EACH ROW EXECUTE FUNCTION artifacts_keep();

CREATE FUNCTION artifacts_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'artifacts keep the 5-year legal record: TRUNCATE rejected' USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER artifacts_no_truncate BEFORE TRUNCATE ON artifacts
    FOR EACH STATEMENT EXECUTE FUNCTION artifacts_no_truncate();
