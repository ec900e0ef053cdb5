-- Roles, databases and the extension of geOrchestra Analytics. Run once per server by a
-- superuser (the Docker image's init, ./stack up, the Ansible role); safe to run again.
-- Passwords arrive as psql variables: owner_password, writer_password, reader_password,
-- superset_password. Everything else (schema, grants on objects) comes from the analyzer's
-- migrations, run as analytics_owner.

\set ON_ERROR_STOP on

-- analytics_owner owns the schema and runs migrations; analytics_writer is the analyzer;
-- analytics_reader is Superset's read-only connection; superset owns Superset's metadata.
SELECT format('CREATE ROLE %I LOGIN', name)
FROM unnest(ARRAY['analytics_owner', 'analytics_writer', 'analytics_reader', 'superset']) AS name
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name)
\gexec

ALTER ROLE analytics_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE analytics_writer LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'writer_password';
ALTER ROLE analytics_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';
ALTER ROLE superset LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'superset_password';
-- Dashboards must not hang the server: cap the read-only role's statements.
ALTER ROLE analytics_reader SET statement_timeout = '60s';
-- Continuous aggregates belong to the writer (only their owner may refresh them).
GRANT analytics_writer TO analytics_owner;

-- Names sort by ICU's root collation, the same on every server: the Docker image is Alpine
-- (musl), whose libc locales sort bytewise ("Zürich" before "Élancourt"). template0: a
-- database of another collation provider cannot copy template1.
SELECT 'CREATE DATABASE analytics OWNER analytics_owner TEMPLATE template0 ENCODING UTF8'
       ' LOCALE_PROVIDER icu ICU_LOCALE ''und'''
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'analytics')
\gexec
SELECT 'CREATE DATABASE superset OWNER superset'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'superset')
\gexec

REVOKE ALL ON DATABASE analytics FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE analytics TO analytics_owner, analytics_writer;
GRANT CONNECT ON DATABASE analytics TO analytics_reader;
REVOKE ALL ON DATABASE superset FROM PUBLIC;
GRANT ALL ON DATABASE superset TO superset;
-- Every role may connect to the server's own databases by default (PUBLIC's CONNECT):
-- ours have no business there. The superuser still can.
REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;

\connect analytics
-- Creating the extension needs a superuser; everything inside it is then the owner's business.
-- The Apache edition cannot run TimescaleDB's own job-history job: it would fail every hour
-- in the server log. The Timescale-License edition keeps it. In the extension's transaction:
-- the scheduler starts on its commit, and would run the job once before a later UPDATE.
BEGIN;
CREATE EXTENSION IF NOT EXISTS timescaledb;
UPDATE _timescaledb_config.bgw_job SET scheduled = false
WHERE id = 3 AND current_setting('timescaledb.license') = 'apache';
COMMIT;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CREATE ON DATABASE analytics TO analytics_owner;
