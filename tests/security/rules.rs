//! Who may call what: the decision for every gRPC method and every HTTP route, written down
//! once. The authorization matrix checks the running system against it, and a method or
//! route with no decision here fails that check, so nothing new lands undecided.

/// Who calls, in the order of the matrix's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Anonymous,
    Citizen,
    OtherCitizen,
    Clerk,
    Authority,
    Admin,
    Service,
}

use Who::*;

pub const EVERYONE: [Who; 7] = [
    Anonymous,
    Citizen,
    OtherCitizen,
    Clerk,
    Authority,
    Admin,
    Service,
];

/// Who may reach a method's or route's handler.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Anyone, without a token.
    Public,
    /// Anyone, but the credential is in the body (a refresh token): the made-up one the
    /// matrix sends is refused as unauthenticated whoever sends it.
    BodyCredential,
    /// Any authenticated caller; anonymous is refused as unauthenticated.
    SignedIn,
    /// Only these; other authenticated callers are refused as forbidden, anonymous as
    /// unauthenticated.
    Only(&'static [Who]),
}

const STAFF: &[Who] = &[Clerk, Admin];
const ADMIN: &[Who] = &[Admin];
const SERVICE: &[Who] = &[Service];
const STAFF_OR_SERVICE: &[Who] = &[Clerk, Admin, Service];
const PEOPLE: &[Who] = &[Citizen, OtherCitizen, Clerk, Authority, Admin];

/// The decision for every gRPC method, `package.Service/Method`. `None` = no rule yet.
pub fn grpc_rule(method: &str) -> Option<Rule> {
    use Rule::*;
    let (_, name) = method.split_once('/')?;
    let service = method.split('.').nth(1)?;
    Some(match (service, name) {
        ("identity", "RegisterCitizen" | "Login" | "Refresh" | "Logout") => Public,
        ("identity", "GetSigningKeys" | "ClientCredentialsToken") => Public,
        ("identity", "SendMobileCode" | "VerifyMobile" | "GetMe") => SignedIn,
        ("identity", "ListOrganizations" | "GetOrganization") => SignedIn,
        ("identity", "ChangePassword") => Only(PEOPLE),
        ("identity", "VerifyMembershipCode") => Only(&[Authority, Service]),
        // A person's verified mobile, for the notifications service to text them.
        ("identity", "GetContact") => Only(SERVICE),
        (
            "identity",
            "CreateStaffAccount"
            | "CreateAuthorityUser"
            | "CreateServiceAccount"
            | "CreateOrganizationClient"
            | "RotateClientSecret"
            | "RegisterClientKey"
            | "ListClientKeys"
            | "RevokeClientKey"
            | "ResetPassword"
            | "DisableOrganization"
            | "EnableOrganization"
            | "GetAccount"
            | "ListAccounts"
            | "DisableAccount"
            | "EnableAccount"
            | "CreateOrganization"
            | "ListAuditEvents"
            | "ResealTokenSigningKeys",
        ) => Only(ADMIN),

        ("property", "GetParcel" | "PickAt" | "ParcelsInBox" | "ListMapLabels") => SignedIn,
        ("property", "FindParcelsByRegistryPlate") => SignedIn,
        ("property", "ListMyParcels" | "SearchParcels") => SignedIn,
        ("property", "FindParcelsByOwner" | "GetParcelHistory") => Only(STAFF_OR_SERVICE),
        ("property", "ListRequestNumbers") => Only(STAFF),
        ("property", "UpsertParcel" | "UpdateOwnership" | "IssueRequestNumber") => Only(STAFF),
        ("property", "VerifyRequestNumber" | "MarkRequestNumberUsed" | "CheckApplicant") => {
            Only(STAFF_OR_SERVICE)
        }

        ("documents", "UploadDocument" | "DownloadDocument" | "GetDocumentInfo") => SignedIn,
        ("documents", "ListDocuments" | "GetQuota") => SignedIn,
        ("documents", "ListDocumentKinds") => SignedIn,
        ("documents", "PutDocumentKind") => Only(ADMIN),
        // Each service's audit trail, on the staff desk.
        ("documents" | "inquiry" | "property" | "fees", "ListAuditRecords") => Only(STAFF),

        ("fees", "Assess" | "GetBill" | "StartPayment" | "GetPayment") => Only(&[Clerk, Service]),
        ("fees", "GetClearance") => Only(STAFF_OR_SERVICE),
        ("fees", "HandlePspCallback" | "GetSandboxPayment" | "DecideSandboxPayment") => {
            Only(SERVICE)
        }
        ("fees", "ReconcilePayments") => Only(&[Admin, Service]),
        ("fees", "GetLedger" | "GetTariff") => Only(STAFF),
        // The inquiry service reads this year's tariffs when an admin publishes a request
        // type, to refuse one whose fee items no tariff prices.
        ("fees", "ListTariffs") => Only(STAFF_OR_SERVICE),
        ("fees", "AddAdjustment") => Only(&[Clerk]),
        ("fees", "PutTariff") => Only(ADMIN),
        // Staff draft tariffs and work the second-approver queue (never their own proposal:
        // checked per proposal).
        ("fees", "PreviewTariff" | "ListAdjustmentProposals" | "DecideAdjustment") => Only(STAFF),
        // Objections to levies: the inquiry service files for the applicant it checked (or
        // staff at the counter); staff work the queue and decide.
        ("fees", "FileDispute" | "GetDispute") => Only(STAFF_OR_SERVICE),
        ("fees", "ListDisputes" | "DecideDispute") => Only(STAFF),
        // Only the inquiry service charges an authority's inquiry fee; staff read accounts.
        ("fees", "ChargeAccount" | "ReverseAccountCharge") => Only(SERVICE),
        // An office's users and clients read their own organisation's account (another
        // account is answered as missing, per object).
        ("fees", "GetAccountStatement") => Only(&[Clerk, Admin, Service, Authority]),

        ("inquiry", "ListRequestTypes" | "GetRequestType") => Public,
        ("inquiry", "VerifyAnswer" | "ListAnswerSigningKeys") => Public,
        ("inquiry", "GetAnswerTrustList" | "GetAnswerStatusList") => Public,
        ("inquiry", "CheckAnswerCode") => Public,
        // How fast the municipality answers, for anyone; what is due, for the desk.
        ("inquiry", "GetAnswerTimeStatistics") => Public,
        ("inquiry", "ListDueInquiries") => Only(STAFF),
        ("inquiry", "RotateAnswerSigningKey") => Only(ADMIN),
        ("inquiry", "ResealAnswerSigningKeys") => Only(ADMIN),
        ("inquiry", "PutRequestType") => Only(ADMIN),
        // The e-service editor's preview of the wizard: staff.
        ("inquiry", "PreviewRequestType") => Only(STAFF),
        ("inquiry", "RevokeAnswer") => Only(STAFF),
        ("inquiry", "DecideRepresentation") => Only(STAFF),
        ("inquiry", "ListReviews") => Only(STAFF),
        ("inquiry", "DecideReview") => Only(STAFF),
        ("inquiry", "CreateInquiry") => Only(&[Citizen, OtherCitizen]),
        ("inquiry", "FileInquiryOnBehalf") => Only(&[Authority]),
        // An organisation's users and clients manage their own organisation's webhooks (for
        // another's, the endpoint is not found), the admin any organisation's.
        (
            "inquiry",
            "CreateWebhookEndpoint"
            | "ListWebhookEndpoints"
            | "SetWebhookEndpointEnabled"
            | "DeleteWebhookEndpoint"
            | "RotateWebhookSecret"
            | "ListWebhookDeliveries"
            | "ReplayWebhookDeliveries",
        ) => Only(&[Authority, Admin]),

        // An organisation's own batches; which batch each may see is checked per object.
        ("inquiry", "CreateBatch" | "GetBatch" | "ListBatchItems") => Only(&[Authority]),
        // Every caller reaches these; which inquiries each may see or change is checked per
        // object (see `other_citizens_objects_do_not_exist`).
        (
            "inquiry",
            "GetInquiry" | "ListInquiries" | "AcceptUndertakings" | "SetProperty" | "SetLetter"
            | "AttachDocuments" | "SetApplicant" | "Submit" | "GetBill" | "StartPayment"
            | "DisputeBill" | "GetAnswer" | "RenderAnswer" | "CancelInquiry" | "BulkStatus",
        ) => SignedIn,
        // Each caller reads and sets only their own preferences and messages (staff may
        // read another account's messages); a machine has nobody to tell.
        ("notifications", "GetPreferences" | "ListDeliveries") => SignedIn,
        ("notifications", "UpdatePreferences") => Only(PEOPLE),
        _ => return None,
    })
}

/// The decision for every HTTP route, `METHOD /path` as in the OpenAPI document.
pub fn http_rule(route: &str) -> Option<Rule> {
    use Rule::*;
    Some(match route {
        "GET /healthz" | "GET /readyz" | "GET /metrics" | "GET /status" => Public,
        "GET /api/openapi.json" | "GET /api/docs" => Public,
        "POST /api/v1/auth/register" | "POST /api/v1/auth/login" | "POST /api/v1/auth/logout" => {
            Public
        }
        "POST /api/v1/auth/refresh" => BodyCredential,
        // The client's id and secret are the credential (HTTP Basic or the form).
        "POST /oauth/token" => BodyCredential,
        "POST /api/v1/organizations/{id}/clients"
        | "POST /api/v1/clients/{account_id}/rotate"
        | "POST /api/v1/clients/{account_id}/keys"
        | "POST /api/v1/clients/{account_id}/revoke" => Only(ADMIN),
        // The people desk: accounts, organisations with their users and clients' keys.
        "GET /api/v1/accounts"
        | "POST /api/v1/accounts/staff"
        | "POST /api/v1/accounts/{account_id}/disable"
        | "POST /api/v1/accounts/{account_id}/enable"
        | "POST /api/v1/accounts/{account_id}/password-reset"
        | "GET /api/v1/desk/organizations"
        | "POST /api/v1/desk/organizations"
        | "POST /api/v1/organizations/{id}/disable"
        | "POST /api/v1/organizations/{id}/enable"
        | "POST /api/v1/organizations/{id}/users"
        | "GET /api/v1/clients/{account_id}/keys"
        | "POST /api/v1/clients/{account_id}/keys/{kid}/revoke" => Only(ADMIN),
        r if r.contains(" /api/v1/organizations/{id}/webhooks") => Only(&[Authority, Admin]),
        "GET /api/v1/me" => SignedIn,
        "GET /api/v1/me/notification-preferences" => SignedIn,
        "PUT /api/v1/me/notification-preferences" => Only(PEOPLE),
        "POST /api/v1/me/mobile/code" | "POST /api/v1/me/mobile/verify" => SignedIn,
        "POST /api/v1/me/password" => Only(PEOPLE),
        "POST /api/v1/documents" | "GET /api/v1/documents/{id}" => SignedIn,
        "GET /api/v1/document-kinds" => SignedIn,
        "PUT /api/v1/document-kinds/{code}" => Only(ADMIN),
        "GET /api/v1/request-types" => Public,
        // The e-service editor: anyone reads a type (the portal shows it before login),
        // staff preview its wizard, admins publish.
        "GET /api/v1/request-types/{code}" => Public,
        "GET /api/v1/request-types/{code}/preview" => Only(STAFF),
        "PUT /api/v1/request-types/{code}" => Only(ADMIN),
        "GET /api/v1/answers/{verification_code}" => Public,
        "GET /api/v1/parcels/{renovation_code}"
        | "GET /api/v1/parcels/at"
        | "GET /api/v1/collections/parcels/items"
        | "GET /api/v1/collections/labels/items" => SignedIn,
        "GET /api/v1/parcels/search" | "GET /api/v1/me/parcels" => SignedIn,
        // OGC API – Features metadata (landing page, conformance, collections): public, so
        // a GIS client can discover the parcels layer before it is given a token.
        "GET /api/v1"
        | "GET /api/v1/conformance"
        | "GET /api/v1/collections"
        | "GET /api/v1/collections/{collection_id}" => Public,
        // The sandbox payment provider's pages: the payment id in the link is the secret.
        "GET /psp/pay" | "POST /psp/pay" => Public,
        "GET /api/v1/organizations" => SignedIn,
        // Whose account is checked per object: an office reads its own only.
        "GET /api/v1/organizations/{id}/account" => Only(&[Clerk, Authority, Admin, Service]),
        "GET /api/v1/answer-signing-keys" => Public,
        "GET /api/v1/answer-trust-list" | "GET /api/v1/answer-status-list" => Public,
        "POST /api/v1/answer-codes/check" => Public,
        "GET /verify/offline" => Public,
        "POST /api/v1/admin/answer-signing-key/rotate" => Only(ADMIN),
        "POST /api/v1/admin/answer-signing-keys/reseal"
        | "POST /api/v1/admin/token-signing-keys/reseal" => Only(ADMIN),
        "POST /api/v1/parcels/{renovation_code}/request-numbers" => Only(STAFF),
        // The staff desk's tariffs and levy adjustments: staff read, preview and decide;
        // admins publish tariffs; clerks adjust.
        "GET /api/v1/tariffs/{tariff_id}" => Only(STAFF),
        // A service account lists tariffs as over gRPC (the inquiry service checks a new
        // e-service's fee items against them).
        "GET /api/v1/tariffs" => Only(STAFF_OR_SERVICE),
        "POST /api/v1/tariffs/preview" => Only(STAFF),
        "POST /api/v1/tariffs" => Only(ADMIN),
        "GET /api/v1/parcels/{renovation_code}/ledger" => Only(STAFF),
        "POST /api/v1/parcels/{renovation_code}/adjustments" => Only(&[Clerk]),
        "GET /api/v1/adjustments" | "POST /api/v1/adjustments/{proposal_id}/decision" => {
            Only(STAFF)
        }
        // Objections to levies: the desk's queue and a clerk's decision.
        "GET /api/v1/disputes" | "POST /api/v1/disputes/{dispute_id}/decision" => Only(STAFF),
        // Whoever may act on the inquiry objects to its bill (checked per object).
        "POST /api/v1/inquiries/{id}/bill/disputes" => SignedIn,
        "POST /api/v1/inquiries/{id}/answer/revoke" => Only(STAFF),
        // Every service's audit trail (identity's, admins: its service decides per source).
        "GET /api/v1/audit" => Only(STAFF),
        "GET /api/v1/desk/deadlines" => Only(STAFF),
        "GET /api/v1/statistics/answer-times" => Public,
        "POST /api/v1/inquiries/{id}/representation/decision" => Only(STAFF),
        // The clerks' review queue: mismatches and representations, and the decision.
        "GET /api/v1/desk/reviews" => Only(STAFF),
        "POST /api/v1/inquiries/{id}/review/decision" => Only(STAFF),
        "POST /api/v1/inquiries" => Only(&[Citizen, OtherCitizen]),
        "POST /api/v1/inquiries/on-behalf" => Only(&[Authority]),

        "POST /api/v1/batches" | "GET /api/v1/batches/{id}" | "GET /api/v1/batches/{id}/items" => {
            Only(&[Authority])
        }
        r if r.contains(" /api/v1/inquiries") => SignedIn,
        _ => return None,
    })
}

/// What a call came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Past authentication and authorization (a result, or a validation / not-found error).
    Reached,
    /// `UNAUTHENTICATED` / 401.
    Unauthenticated,
    /// `PERMISSION_DENIED` / 403.
    Forbidden,
}

pub fn expected(rule: Rule, who: Who) -> Outcome {
    match (rule, who) {
        (Rule::Public, _) => Outcome::Reached,
        (Rule::BodyCredential, _) => Outcome::Unauthenticated,
        (_, Anonymous) => Outcome::Unauthenticated,
        (Rule::SignedIn, _) => Outcome::Reached,
        (Rule::Only(allowed), w) if allowed.contains(&w) => Outcome::Reached,
        (Rule::Only(_), _) => Outcome::Forbidden,
    }
}
