-- Inquiry fees charged to an inquiring authority's account (its organisation id) rather
-- than to a parcel: an authority's fee is not the property's debt. One charge per inquiry.
CREATE TABLE IF NOT EXISTS account_charges (
    charge_id         TEXT    PRIMARY KEY,
    account_id        TEXT    NOT NULL,
    inquiry_id        TEXT    NOT NULL UNIQUE,
    request_type_code TEXT    NOT NULL,
    renovation_code   TEXT    NOT NULL,
    amount            BIGINT  NOT NULL,
    description_fa    TEXT    NOT NULL,
    description_en    TEXT    NOT NULL,
    tariff_id         TEXT    NOT NULL,
    actor_id          TEXT    NOT NULL,
    charged_at_us     BIGINT  NOT NULL
);
CREATE INDEX IF NOT EXISTS account_charges_by_account ON account_charges (account_id, charged_at_us);
