//! SQL, nothing else. Portable statements over sqlx `Any` (SQLite and PostgreSQL); every
//! function takes a connection, so callers decide what runs in one transaction.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use estelam_runtime::auth::Role;

type Result<T> = std::result::Result<T, sqlx::Error>;

/// `accounts.status` of an account that may log in.
pub const ACTIVE: i32 = 1;
/// `accounts.status` of an account an admin disabled.
pub const DISABLED: i32 = 2;

/// A row of `accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// Account id (UUIDv7).
    pub account_id: String,
    /// Roles.
    pub roles: Vec<Role>,
    /// [`ACTIVE`] or [`DISABLED`].
    pub status: i32,
    /// National code of a person.
    pub national_code: Option<String>,
    /// Membership code of a person.
    pub membership_code: Option<String>,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Name to show.
    pub display_name: String,
    /// Search text: folded names, codes, client id.
    pub search_key: String,
    /// Mobile, `09…`, or empty.
    pub mobile: String,
    /// Whether the mobile was confirmed.
    pub mobile_verified: bool,
    /// Organization of an authority user.
    pub organization_id: Option<String>,
    /// Client id of a service account.
    pub client_id: Option<String>,
    /// What a service account is for.
    pub description: String,
    /// argon2id PHC string of a password, or `sha256:<hex>` of a client secret.
    pub secret_hash: String,
    /// Must change the password.
    pub password_change_required: bool,
    /// Created, µs.
    pub created_at: i64,
    /// Last change of status, roles or profile, µs.
    pub changed_at: i64,
    /// Who made the last change (account id; empty for the system).
    pub changed_by: String,
    /// Their display name then.
    pub changed_by_name: String,
}

impl AccountRow {
    /// True when the account may log in.
    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }

    /// True when the account has `role`.
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

const ACCOUNT_COLUMNS: &str = "account_id, roles, status, national_code, membership_code, first_name, last_name, \
     display_name, search_key, mobile, mobile_verified, organization_id, client_id, description, secret_hash, \
     password_change_required, created_at, changed_at, changed_by, changed_by_name";

/// The stored form of a role list: `,citizen,admin,` so `LIKE '%,admin,%'` finds a role.
pub fn roles_column(roles: &[Role]) -> String {
    let mut s = String::from(",");
    for r in roles {
        s.push_str(r.as_str());
        s.push(',');
    }
    s
}

fn account(row: &AnyRow) -> Result<AccountRow> {
    let roles: String = row.try_get("roles")?;
    Ok(AccountRow {
        account_id: row.try_get("account_id")?,
        roles: roles.split(',').filter_map(Role::parse).collect(),
        status: row.try_get::<i32, _>("status")?,
        national_code: row.try_get("national_code")?,
        membership_code: row.try_get("membership_code")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        display_name: row.try_get("display_name")?,
        search_key: row.try_get("search_key")?,
        mobile: row.try_get("mobile")?,
        mobile_verified: row.try_get::<i32, _>("mobile_verified")? != 0,
        organization_id: row.try_get("organization_id")?,
        client_id: row.try_get("client_id")?,
        description: row.try_get("description")?,
        secret_hash: row.try_get("secret_hash")?,
        password_change_required: row.try_get::<i32, _>("password_change_required")? != 0,
        created_at: row.try_get("created_at")?,
        changed_at: row.try_get("changed_at")?,
        changed_by: row.try_get("changed_by")?,
        changed_by_name: row.try_get("changed_by_name")?,
    })
}

/// Inserts a new account.
pub async fn insert_account(conn: &mut AnyConnection, a: &AccountRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&a.account_id)
        .bind(roles_column(&a.roles))
        .bind(a.status)
        .bind(&a.national_code)
        .bind(&a.membership_code)
        .bind(&a.first_name)
        .bind(&a.last_name)
        .bind(&a.display_name)
        .bind(&a.search_key)
        .bind(&a.mobile)
        .bind(i32::from(a.mobile_verified))
        .bind(&a.organization_id)
        .bind(&a.client_id)
        .bind(&a.description)
        .bind(&a.secret_hash)
        .bind(i32::from(a.password_change_required))
        .bind(a.created_at)
        .bind(a.changed_at)
        .bind(&a.changed_by)
        .bind(&a.changed_by_name)
        .execute(conn)
        .await?;
    Ok(())
}

async fn account_where(
    conn: &mut AnyConnection,
    column: &str,
    value: &str,
) -> Result<Option<AccountRow>> {
    // `column` is one of the fixed names below, never caller input.
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(account).transpose()
}

/// The account with this id.
pub async fn account_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<AccountRow>> {
    account_where(conn, "account_id", id).await
}

/// The account with this national code.
pub async fn account_by_national_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "national_code", code).await
}

/// The account with this membership code.
pub async fn account_by_membership_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "membership_code", code).await
}

/// The service account with this client id.
pub async fn account_by_client_id(
    conn: &mut AnyConnection,
    client_id: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "client_id", client_id).await
}

/// True when some active account has the admin role.
pub async fn active_admin_exists(conn: &mut AnyConnection) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM accounts WHERE status = $1 AND roles LIKE '%,admin,%'",
    )
    .bind(ACTIVE)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// Filters of [`list_accounts`]; empty strings and zero mean "any".
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Role name.
    pub role: String,
    /// Organization id.
    pub organization_id: String,
    /// Status.
    pub status: i32,
    /// Folded search text.
    pub query: String,
    /// Exclusive lower bound on account id (the page token).
    pub after: String,
    /// Rows to return.
    pub limit: i64,
}

/// Accounts matching `f`, oldest first (UUIDv7 ids sort by creation).
pub async fn list_accounts(conn: &mut AnyConnection, f: &AccountFilter) -> Result<Vec<AccountRow>> {
    let sql = format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts \
         WHERE ($1 = '' OR roles LIKE $1) AND ($2 = '' OR organization_id = $2) AND ($3 = 0 OR status = $3) \
         AND ($4 = '' OR search_key LIKE $4 ESCAPE '\\') AND account_id > $5 \
         ORDER BY account_id LIMIT $6"
    );
    let role = if f.role.is_empty() {
        String::new()
    } else {
        format!("%,{},%", f.role)
    };
    let query = if f.query.is_empty() {
        String::new()
    } else {
        format!("%{}%", like_escape(&f.query))
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(role)
        .bind(&f.organization_id)
        .bind(f.status)
        .bind(query)
        .bind(&f.after)
        .bind(f.limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(account).collect()
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Sets an account's status, recording who changed it. Returns false if no such account.
pub async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: i32,
    now: i64,
    by: &str,
    by_name: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET status = $1, changed_at = $2, changed_by = $3, changed_by_name = $4 WHERE account_id = $5",
    )
    .bind(status)
    .bind(now)
    .bind(by)
    .bind(by_name)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces an account's password (or client secret) hash.
pub async fn set_secret(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    change_required: bool,
    now: i64,
    by: &str,
    by_name: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET secret_hash = $1, password_change_required = $2, changed_at = $3, changed_by = $4, \
         changed_by_name = $5 WHERE account_id = $6",
    )
    .bind(hash)
    .bind(i32::from(change_required))
    .bind(now)
    .bind(by)
    .bind(by_name)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks an account's mobile number as confirmed.
pub async fn set_mobile_verified(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET mobile_verified = 1 WHERE account_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Organizations

/// A row of `organizations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    /// Id (UUIDv7).
    pub organization_id: String,
    /// `OrganizationType` number.
    pub kind: i32,
    /// Persian name.
    pub name_fa: String,
    /// English name.
    pub name_en: String,
    /// Folded name for sorting and search.
    pub name_key: String,
    /// Official number.
    pub registry_number: String,
    /// City.
    pub city: String,
    /// Folded city, part of the uniqueness rule.
    pub city_key: String,
    /// Address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// May file inquiries; users may log in.
    pub active: bool,
    /// Created, µs.
    pub created_at: i64,
}

const ORGANIZATION_COLUMNS: &str = "organization_id, type, name_fa, name_en, name_key, registry_number, city, city_key, address, phone, active, created_at";

fn organization(row: &AnyRow) -> Result<OrganizationRow> {
    Ok(OrganizationRow {
        organization_id: row.try_get("organization_id")?,
        kind: row.try_get::<i32, _>("type")?,
        name_fa: row.try_get("name_fa")?,
        name_en: row.try_get("name_en")?,
        name_key: row.try_get("name_key")?,
        registry_number: row.try_get("registry_number")?,
        city: row.try_get("city")?,
        city_key: row.try_get("city_key")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        active: row.try_get::<i32, _>("active")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts an organization (a duplicate type + city + number is a unique violation).
pub async fn insert_organization(conn: &mut AnyConnection, o: &OrganizationRow) -> Result<()> {
    let sql = format!(
        "INSERT INTO organizations ({ORGANIZATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&o.organization_id)
        .bind(o.kind)
        .bind(&o.name_fa)
        .bind(&o.name_en)
        .bind(&o.name_key)
        .bind(&o.registry_number)
        .bind(&o.city)
        .bind(&o.city_key)
        .bind(&o.address)
        .bind(&o.phone)
        .bind(i32::from(o.active))
        .bind(o.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// The organization with this id.
pub async fn organization_by_id(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<OrganizationRow>> {
    let sql =
        format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations WHERE organization_id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(organization).transpose()
}

/// Filters of [`list_organizations`].
#[derive(Debug, Clone, Default)]
pub struct OrganizationFilter {
    /// Type number; 0 for all.
    pub kind: i32,
    /// Folded search text.
    pub query: String,
    /// Include inactive ones.
    pub include_inactive: bool,
    /// Exclusive lower bound (name key, id) from the page token.
    pub after: Option<(String, String)>,
    /// Rows to return.
    pub limit: i64,
}

/// Organizations matching `f`, by name.
pub async fn list_organizations(
    conn: &mut AnyConnection,
    f: &OrganizationFilter,
) -> Result<Vec<OrganizationRow>> {
    let sql = format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations \
         WHERE ($1 = 0 OR type = $1) AND ($2 = 1 OR active = 1) \
         AND ($3 = '' OR name_key LIKE $3 ESCAPE '\\' OR registry_number LIKE $3 ESCAPE '\\') \
         AND (name_key > $4 OR (name_key = $4 AND organization_id > $5)) \
         ORDER BY name_key, organization_id LIMIT $6"
    );
    let query = if f.query.is_empty() {
        String::new()
    } else {
        format!("%{}%", like_escape(&f.query))
    };
    let (after_name, after_id) = f.after.clone().unwrap_or_default();
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(f.kind)
        .bind(i32::from(f.include_inactive))
        .bind(query)
        .bind(after_name)
        .bind(after_id)
        .bind(f.limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(organization).collect()
}

// ---------------------------------------------------------------------------------------
// Mobile one-time codes

/// The pending one-time code of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MobileCodeRow {
    /// Hash of the code.
    pub code_hash: String,
    /// When it was sent, µs.
    pub sent_at: i64,
    /// When it expires, µs.
    pub expires_at: i64,
    /// Wrong tries so far.
    pub attempts: i32,
}

/// Replaces the account's pending code.
pub async fn put_mobile_code(
    conn: &mut AnyConnection,
    account_id: &str,
    code_hash: &str,
    sent_at: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO mobile_codes (account_id, code_hash, sent_at, expires_at, attempts) VALUES ($1, $2, $3, $4, 0) \
         ON CONFLICT (account_id) DO UPDATE SET code_hash = $2, sent_at = $3, expires_at = $4, attempts = 0",
    )
    .bind(account_id)
    .bind(code_hash)
    .bind(sent_at)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's pending code.
pub async fn mobile_code(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<Option<MobileCodeRow>> {
    let row = sqlx::query(
        "SELECT code_hash, sent_at, expires_at, attempts FROM mobile_codes WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(MobileCodeRow {
            code_hash: r.try_get("code_hash")?,
            sent_at: r.try_get("sent_at")?,
            expires_at: r.try_get("expires_at")?,
            attempts: r.try_get::<i32, _>("attempts")?,
        })
    })
    .transpose()
}

/// Counts one wrong try.
pub async fn bump_mobile_code_attempts(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("UPDATE mobile_codes SET attempts = attempts + 1 WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes the account's pending code (used, or superseded).
pub async fn delete_mobile_code(conn: &mut AnyConnection, account_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM mobile_codes WHERE account_id = $1")
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Sessions and refresh tokens

/// Starts a session (a refresh-token family).
pub async fn insert_session(
    conn: &mut AnyConnection,
    family_id: &str,
    account_id: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO sessions (family_id, account_id, created_at) VALUES ($1, $2, $3)")
        .bind(family_id)
        .bind(account_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a refresh token's hash in its family.
pub async fn insert_refresh_token(
    conn: &mut AnyConnection,
    hash: &str,
    family_id: &str,
    account_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(family_id)
    .bind(account_id)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored refresh token with its session's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRow {
    /// Session.
    pub family_id: String,
    /// Account.
    pub account_id: String,
    /// Expiry, µs.
    pub expires_at: i64,
    /// When it was exchanged, if it was.
    pub used_at: Option<i64>,
    /// When its session was revoked, if it was.
    pub session_revoked_at: Option<i64>,
}

/// The refresh token with this hash.
pub async fn refresh_token(conn: &mut AnyConnection, hash: &str) -> Result<Option<RefreshRow>> {
    let row = sqlx::query(
        "SELECT t.family_id, t.account_id, t.expires_at, t.used_at, s.revoked_at FROM refresh_tokens t \
         JOIN sessions s ON s.family_id = t.family_id WHERE t.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(RefreshRow {
            family_id: r.try_get("family_id")?,
            account_id: r.try_get("account_id")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
            session_revoked_at: r.try_get("revoked_at")?,
        })
    })
    .transpose()
}

/// Marks a refresh token used; false when it already was (a concurrent or repeated use).
pub async fn mark_refresh_used(conn: &mut AnyConnection, hash: &str, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes one session. Returns whether it was live.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    family_id: &str,
    now: i64,
    reason: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE family_id = $3 AND revoked_at IS NULL")
        .bind(now)
        .bind(reason)
        .bind(family_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live session of an account, except `keep` if given. Returns how many.
pub async fn revoke_account_sessions(
    conn: &mut AnyConnection,
    account_id: &str,
    keep: Option<&str>,
    now: i64,
    reason: &str,
) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET revoked_at = $1, revoke_reason = $2 WHERE account_id = $3 AND revoked_at IS NULL \
         AND family_id <> $4",
    )
    .bind(now)
    .bind(reason)
    .bind(account_id)
    .bind(keep.unwrap_or(""))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Records that `account_id`'s access tokens issued up to `revoked_at` are revoked until
/// `hold_until`, and forgets revocations whose hold has passed.
pub async fn revoke_tokens(
    conn: &mut AnyConnection,
    account_id: &str,
    revoked_at: i64,
    hold_until: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM token_revocations WHERE hold_until <= $1")
        .bind(revoked_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO token_revocations (account_id, revoked_at, hold_until) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO UPDATE SET revoked_at = excluded.revoked_at, hold_until = excluded.hold_until",
    )
    .bind(account_id)
    .bind(revoked_at)
    .bind(hold_until)
    .execute(conn)
    .await?;
    Ok(())
}

/// Revocations still held at `now`: (account id, revoked at, hold until), micro-seconds.
pub async fn token_revocations(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<Vec<(String, i64, i64)>> {
    sqlx::query(
        "SELECT account_id, revoked_at, hold_until FROM token_revocations WHERE hold_until > $1",
    )
    .bind(now)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("account_id")?,
            r.try_get("revoked_at")?,
            r.try_get("hold_until")?,
        ))
    })
    .collect()
}

/// Live (unrevoked) sessions of an account, for tests and admin views.
pub async fn live_session_count(conn: &mut AnyConnection, account_id: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM sessions WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    row.try_get("n")
}

// ---------------------------------------------------------------------------------------
// Signing keys

/// Every stored signing key.
pub async fn signing_keys(conn: &mut AnyConnection) -> Result<Vec<crate::tokens::StoredKey>> {
    let rows = sqlx::query(
        "SELECT kid, secret_key, public_key, created_at, retired_at, not_after FROM signing_keys",
    )
    .fetch_all(conn)
    .await?;
    let mut keys = Vec::with_capacity(rows.len());
    for r in rows {
        let secret: Vec<u8> = r.try_get("secret_key")?;
        let public: Vec<u8> = r.try_get("public_key")?;
        let (Ok(secret), Ok(public)) = (<[u8; 32]>::try_from(secret), <[u8; 32]>::try_from(public))
        else {
            return Err(sqlx::Error::Decode("a signing key is not 32 bytes".into()));
        };
        keys.push(crate::tokens::StoredKey {
            kid: r.try_get("kid")?,
            secret,
            public,
            created_at: r.try_get("created_at")?,
            retired_at: r.try_get("retired_at")?,
            not_after: r.try_get("not_after")?,
        });
    }
    Ok(keys)
}

/// Retires every signing key still signing: they stop signing now and stop verifying at
/// `not_after`.
pub async fn retire_signing_keys(conn: &mut AnyConnection, now: i64, not_after: i64) -> Result<()> {
    sqlx::query("UPDATE signing_keys SET retired_at = $1, not_after = $2 WHERE retired_at IS NULL")
        .bind(now)
        .bind(not_after)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a new signing key.
pub async fn insert_signing_key(
    conn: &mut AnyConnection,
    k: &crate::tokens::StoredKey,
) -> Result<()> {
    sqlx::query("INSERT INTO signing_keys (kid, secret_key, public_key, created_at) VALUES ($1, $2, $3, $4)")
        .bind(&k.kid)
        .bind(k.secret.to_vec())
        .bind(k.public.to_vec())
        .bind(k.created_at)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Throttling

/// The latest `blocked_until` (µs) among `keys`; 0 when none is blocked.
pub async fn blocked_until(conn: &mut AnyConnection, keys: &[&str]) -> Result<i64> {
    let mut latest = 0;
    for key in keys {
        let row = sqlx::query("SELECT blocked_until FROM throttle WHERE key = $1")
            .bind(*key)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(r) = row {
            latest = latest.max(r.try_get::<i64, _>("blocked_until")?);
        }
    }
    Ok(latest)
}

/// Counts a failure of `key` at `now` (µs), forgetting failures older than `window_start`;
/// returns the count, this failure included. Atomic on both backends (one upsert).
pub async fn record_failure(
    conn: &mut AnyConnection,
    key: &str,
    now: i64,
    window_start: i64,
) -> Result<u32> {
    let row = sqlx::query(
        "INSERT INTO throttle (key, failures, last_failure_at, blocked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN throttle.last_failure_at < $3 THEN 1 ELSE throttle.failures + 1 END, \
           last_failure_at = $2 \
         RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .bind(window_start)
    .fetch_one(conn)
    .await?;
    Ok(u32::try_from(row.try_get::<i32, _>("failures")?).unwrap_or(0))
}

/// Blocks `key` until `until` (µs), unless it already is for longer.
pub async fn block(conn: &mut AnyConnection, key: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE throttle SET blocked_until = $1 WHERE key = $2 AND blocked_until < $1")
        .bind(until)
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets `key`'s failures (after a success).
pub async fn clear_throttle(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM throttle WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Audit trail (append-only: there is no update or delete here, and triggers refuse them)

/// A row of `audit_events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditRow {
    /// Event id (UUIDv7).
    pub audit_event_id: String,
    /// `AuditEventKind` number.
    pub kind: i32,
    /// Account concerned, or empty.
    pub account_id: String,
    /// Identifier as presented.
    pub presented_identifier: String,
    /// Acting admin, or empty.
    pub actor_account_id: String,
    /// Source address.
    pub source_address: String,
    /// User agent.
    pub user_agent: String,
    /// Detail for readers.
    pub detail: String,
    /// When, µs.
    pub occurred_at: i64,
}

/// Appends an event.
pub async fn insert_audit(conn: &mut AnyConnection, e: &AuditRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (audit_event_id, kind, account_id, presented_identifier, actor_account_id, \
         source_address, user_agent, detail, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&e.audit_event_id)
    .bind(e.kind)
    .bind(&e.account_id)
    .bind(&e.presented_identifier)
    .bind(&e.actor_account_id)
    .bind(&e.source_address)
    .bind(&e.user_agent)
    .bind(&e.detail)
    .bind(e.occurred_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters of [`list_audit`]; empty and zero mean "any".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Account concerned.
    pub account_id: String,
    /// Kinds as `,2,3,`.
    pub kinds: String,
    /// At or after, µs.
    pub since: i64,
    /// Before, µs.
    pub until: i64,
    /// Exclusive upper bound on event id (the page token).
    pub before: String,
    /// Rows to return.
    pub limit: i64,
}

/// Events matching `f`, newest first.
pub async fn list_audit(conn: &mut AnyConnection, f: &AuditFilter) -> Result<Vec<AuditRow>> {
    let rows = sqlx::query(
        "SELECT audit_event_id, kind, account_id, presented_identifier, actor_account_id, source_address, \
         user_agent, detail, occurred_at FROM audit_events \
         WHERE ($1 = '' OR account_id = $1) AND ($2 = '' OR $2 LIKE '%,' || CAST(kind AS TEXT) || ',%') \
         AND ($3 = 0 OR occurred_at >= $3) AND ($4 = 0 OR occurred_at < $4) \
         AND ($5 = '' OR audit_event_id < $5) \
         ORDER BY audit_event_id DESC LIMIT $6",
    )
    .bind(&f.account_id)
    .bind(&f.kinds)
    .bind(f.since)
    .bind(f.until)
    .bind(&f.before)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                audit_event_id: r.try_get("audit_event_id")?,
                kind: r.try_get::<i32, _>("kind")?,
                account_id: r.try_get("account_id")?,
                presented_identifier: r.try_get("presented_identifier")?,
                actor_account_id: r.try_get("actor_account_id")?,
                source_address: r.try_get("source_address")?,
                user_agent: r.try_get("user_agent")?,
                detail: r.try_get("detail")?,
                occurred_at: r.try_get("occurred_at")?,
            })
        })
        .collect()
}
