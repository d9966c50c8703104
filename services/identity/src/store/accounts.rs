//! `accounts`: people (citizens, staff, authority users) and machine clients in one table,
//! so one login path, one disable switch and one audit trail cover them all.

use estelam_runtime::auth::Role;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};

use super::{Result, like_escape};

/// `accounts.status` of an account that may log in and whose tokens are honoured.
pub const ACTIVE: i32 = 1;
/// `accounts.status` of an account an admin disabled: kept, never deleted, so its
/// history and audit trail stay readable and it can be enabled again.
pub const DISABLED: i32 = 2;

/// A row of `accounts`: a person or a machine client. Optional columns are `None` for the
/// kind of account they do not apply to, so the unique indexes skip them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    /// UUIDv7, so ids sort by creation and serve as the list's keyset.
    pub account_id: String,
    /// What the account may do; copied into every access token it gets.
    pub roles: Vec<Role>,
    /// [`ACTIVE`] or [`DISABLED`].
    pub status: i32,
    /// A person's national code, unique: one account per person. `None` for machines and
    /// for a generated first admin.
    pub national_code: Option<String>,
    /// A person's membership code (کد عضویت), unique; a login name, and the consent code
    /// an authority checks.
    pub membership_code: Option<String>,
    /// Given name, tidied as typed.
    pub first_name: String,
    /// Family name, tidied as typed.
    pub last_name: String,
    /// What other people see (given and family name, or a machine's name), so audit
    /// stamps read well without a join.
    pub display_name: String,
    /// Folded names, codes and client id in one column, so one `LIKE` searches them all.
    pub search_key: String,
    /// Canonical `09…`, or empty: where one-time codes go.
    pub mobile: String,
    /// Whether the person proved they hold the mobile, by entering a code sent to it.
    pub mobile_verified: bool,
    /// The organisation an authority user acts for; in the token's `org` claim.
    pub organization_id: Option<String>,
    /// A service account's login name for client credentials.
    pub client_id: Option<String>,
    /// What a service account is for, for the admin who later wonders.
    pub description: String,
    /// argon2id PHC string of a password, or `sha256:<hex>` of a client secret.
    pub secret_hash: String,
    /// Set on accounts an admin created with a generated password, which another person
    /// has seen.
    pub password_change_required: bool,
    /// When the account was created, µs.
    pub created_at: i64,
    /// Last change of status, roles or profile, µs.
    pub changed_at: i64,
    /// Who made the last change (account id; empty for the system).
    pub changed_by: String,
    /// Their display name at the time, so the stamp still reads right after a rename.
    pub changed_by_name: String,
}

impl AccountRow {
    /// Whether the account may log in and act; every check of a caller goes through it.
    pub fn is_active(&self) -> bool {
        self.status == ACTIVE
    }

    /// Whether the account has `role`, for checks made against the stored account rather
    /// than the token.
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

/// Inserts a new account; a taken national code, membership code or client id is a unique
/// violation the caller turns into a refusal.
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

/// The account with this id, for checks against the store rather than the token.
pub async fn account_by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<AccountRow>> {
    account_where(conn, "account_id", id).await
}

/// The account with this national code: login, registration and consent checks.
pub async fn account_by_national_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "national_code", code).await
}

/// The account with this membership code: login, and picking an unused code.
pub async fn account_by_membership_code(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "membership_code", code).await
}

/// The service account with this client id: client credentials and configured clients.
pub async fn account_by_client_id(
    conn: &mut AnyConnection,
    client_id: &str,
) -> Result<Option<AccountRow>> {
    account_where(conn, "client_id", client_id).await
}

/// Whether some active account has the admin role; without one nobody could administer
/// the system, so a start creates one.
pub async fn active_admin_exists(conn: &mut AnyConnection) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM accounts WHERE status = $1 AND roles LIKE '%,admin,%'",
    )
    .bind(ACTIVE)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get::<i64, _>("n")? > 0)
}

/// What an admin searches accounts by; empty strings and zero mean "any". Its `Debug` form
/// binds page tokens to it, so every field must take part in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountFilter {
    /// A role's stored name (`clerk`, `admin`…).
    pub role: String,
    /// Authority users of one organisation.
    pub organization_id: String,
    /// [`ACTIVE`] or [`DISABLED`].
    pub status: i32,
    /// Text folded with `name_key`, matched anywhere in names, codes and client id.
    pub query: String,
}

/// Up to `limit` accounts matching `f` with ids after `after` (empty: from the start),
/// oldest first: UUIDv7 ids sort by creation, so the id is a stable keyset.
pub async fn list_accounts(
    conn: &mut AnyConnection,
    f: &AccountFilter,
    after: &str,
    limit: i64,
) -> Result<Vec<AccountRow>> {
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
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(account).collect()
}

/// Sets an account's status, stamping who changed it. Returns false if no such account.
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

/// Replaces an account's password hash (or client secret hash), stamping who changed it.
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

/// Marks an account's mobile number as proven.
pub async fn set_mobile_verified(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE accounts SET mobile_verified = 1 WHERE account_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
