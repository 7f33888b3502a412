-- rEve/@Id of the events we send (MT v150: 1-10 digits), unique per installation.
CREATE SEQUENCE IF NOT EXISTS sifen_event_ids MINVALUE 1 MAXVALUE 9999999999 NO CYCLE;
CREATE INDEX IF NOT EXISTS events_lifecycle_cdc_idx ON events ((data ->> 'cdc'), type)
    WHERE type IN ('event.accepted', 'event.rejected', 'sifen_event.requested');
