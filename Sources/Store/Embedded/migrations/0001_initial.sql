-- PaaSTech Cloud schema, version 1.
-- The four tables of the seed data model keep their names and columns exactly
-- (users, ssh_keys, projects, deployments); the rest is what a real platform needs.


CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    email           TEXT NOT NULL UNIQUE,
    password        TEXT NOT NULL,                    -- scrypt hash string, never the password
    is_admin        BOOLEAN NOT NULL DEFAULT FALSE,
    email_nonce     TEXT,                             -- SHA-256 of the pending e-mail verification token
    password_nonce  TEXT,                             -- SHA-256 of the pending password-reset token
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- beyond the seed model:
    email_verified_at       TIMESTAMPTZ,
    email_nonce_expires_at  TIMESTAMPTZ,
    password_nonce_expires_at TIMESTAMPTZ,
    pending_email   TEXT,                             -- new address waiting for verification
    disabled_at     TIMESTAMPTZ,
    CONSTRAINT users_username_format CHECK (username ~ '^[a-z][a-z0-9-]{0,38}$'),
    CONSTRAINT users_email_format CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254)
);
CREATE UNIQUE INDEX users_email_nonce_idx ON users (email_nonce) WHERE email_nonce IS NOT NULL;
CREATE UNIQUE INDEX users_password_nonce_idx ON users (password_nonce) WHERE password_nonce IS NOT NULL;
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));

CREATE TABLE ssh_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    value       TEXT NOT NULL,                        -- "<type> <base64>" as parsed, comment dropped
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- beyond the seed model:
    fingerprint TEXT NOT NULL UNIQUE,                 -- "SHA256:..." as ssh-keygen -l prints it
    key_type    TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    last_used_at TIMESTAMPTZ
);
CREATE INDEX ssh_keys_user_idx ON ssh_keys (user_id);

CREATE TABLE projects (
    uuid        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Unique across the platform, like Heroku app names: it is part of the app's host name.
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- beyond the seed model:
    default_branch TEXT NOT NULL DEFAULT 'main',
    CONSTRAINT projects_name_format CHECK (name ~ '^[a-z][a-z0-9-]{0,38}$')
);
CREATE INDEX projects_user_idx ON projects (user_id);

CREATE TABLE deployments (
    uuid        UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name        TEXT NOT NULL,
    config      JSONB NOT NULL DEFAULT '{}'::jsonb,   -- env vars, instances, memory, cpu, ...
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    project_uuid UUID NOT NULL REFERENCES projects (uuid) ON DELETE CASCADE,
    CONSTRAINT deployments_name_format CHECK (name ~ '^[a-z][a-z0-9-]{0,38}$'),
    CONSTRAINT deployments_name_per_project UNIQUE (project_uuid, name),
    CONSTRAINT deployments_config_object CHECK (jsonb_typeof(config) = 'object')
);

-- Browser and CLI sessions. Only the SHA-256 of the token is stored.
CREATE TABLE sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    remote_address TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

-- Personal API tokens, shown once; stored hashed.
CREATE TABLE api_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    CONSTRAINT api_tokens_name_length CHECK (length(name) BETWEEN 1 AND 100)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- A release is immutable: a build of one commit plus a config snapshot.
CREATE TABLE releases (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_uuid UUID NOT NULL REFERENCES deployments (uuid) ON DELETE CASCADE,
    version         INTEGER NOT NULL,                 -- v1, v2, ... per deployment
    commit_sha      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    config          JSONB NOT NULL DEFAULT '{}'::jsonb,
    build_log_path  TEXT,
    created_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    rollback_of     BIGINT REFERENCES releases (id) ON DELETE SET NULL,
    description     TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT releases_version_per_deployment UNIQUE (deployment_uuid, version),
    CONSTRAINT releases_status CHECK (status IN ('pending', 'building', 'built', 'deploying', 'live', 'superseded', 'failed')),
    CONSTRAINT releases_commit_sha CHECK (commit_sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$')
);
CREATE INDEX releases_deployment_idx ON releases (deployment_uuid, created_at DESC);

-- Custom domains routed by the edge to a deployment.
CREATE TABLE domains (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hostname        TEXT NOT NULL UNIQUE,
    deployment_uuid UUID NOT NULL REFERENCES deployments (uuid) ON DELETE CASCADE,
    certificate_status TEXT NOT NULL DEFAULT 'pending',
    certificate_expires_at TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT domains_hostname_format CHECK (hostname ~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$'),
    CONSTRAINT domains_certificate_status CHECK (certificate_status IN ('pending', 'issued', 'failed', 'expired'))
);
CREATE INDEX domains_deployment_idx ON domains (deployment_uuid);

-- Security-relevant actions. Keeps the username so the trail survives deleting the user.
CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    remote_address TEXT NOT NULL DEFAULT '',
    details     JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
