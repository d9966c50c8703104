//! Reasons the property service sends. Those it shares with the inquiry (which passes a
//! request number's or a map pick's verdict on) and with fees are in [`super::common`].

catalogue! {
    /// A parcel's facts failed validation with no field to name (the field violations carry
    /// the particular reasons).
    PARCEL_INVALID,
    /// A parcel with this renovation code exists already; send its version to change it.
    PARCEL_EXISTS,
    /// The outline overlaps a registered parcel.
    PARCEL_OVERLAPS,
    /// The registry plate (پلاک ثبتی) is missing its main part or has non-digits.
    REGISTRY_PLATE_INVALID,
    /// The address is longer than 500 characters.
    ADDRESS_INVALID,
    /// The postal code is not ten digits.
    POSTAL_CODE_INVALID,
    /// No land use was given.
    LAND_USE_REQUIRED,
    /// The land area is not a positive number of square decimetres.
    LAND_AREA_INVALID,
    /// The built area is negative.
    BUILT_AREA_INVALID,
    /// The number of floors is outside 0..200.
    FLOORS_INVALID,
    /// A regional (land or building) value per square metre outside 0..10¹² rials.
    REGIONAL_VALUE_INVALID,
    /// The outline is not valid GeoJSON at all.
    GEOMETRY_NOT_GEOJSON,
    /// The outline is GeoJSON but not a Polygon or MultiPolygon.
    GEOMETRY_WRONG_TYPE,
    /// A position is not a pair of finite numbers.
    GEOMETRY_BAD_POSITION,
    /// A position lies outside WGS84's range.
    GEOMETRY_OUT_OF_RANGE,
    /// A ring does not end where it starts.
    GEOMETRY_RING_NOT_CLOSED,
    /// A ring has fewer than four positions.
    GEOMETRY_RING_TOO_SHORT,
    /// The outline has more vertices than the service keeps.
    GEOMETRY_TOO_MANY_VERTICES,
    /// The outline crosses itself.
    GEOMETRY_SELF_INTERSECTION,
    /// The outline encloses no area.
    GEOMETRY_ZERO_AREA,
    /// The outline fails a geometric check not named above.
    GEOMETRY_INVALID,
    /// The ownership type is not one the contract defines.
    OWNERSHIP_TYPE_UNKNOWN,
    /// An ownership with no owners.
    OWNERS_REQUIRED,
    /// The same person is listed twice among a parcel's owners.
    OWNER_DUPLICATED,
    /// The owner kind (person, legal entity, state…) is not one the contract defines.
    OWNER_KIND_UNKNOWN,
    /// An owner without a name, or with one longer than 200 characters.
    OWNER_NAME_REQUIRED,
    /// A legal entity's 11-digit national id fails its check digit.
    LEGAL_ID_INVALID,
    /// An owner's share is not a positive fraction of at most six dang.
    SHARE_INVALID,
    /// The owners' shares do not add up to six dang.
    SHARES_NOT_SIX_DANG,
    /// Full ownership (شش‌دانگ) names more or fewer than one owner.
    FULL_OWNERSHIP_ONE_OWNER,
    /// Shared ownership (مشاع) names fewer than two owners.
    SHARED_OWNERSHIP_TWO_OWNERS,
    /// A deed number longer than 40 characters or with control characters.
    DEED_NUMBER_INVALID,
    /// A negative expected version.
    EXPECTED_VERSION_NEGATIVE,
    /// The text given is not a request number (wrong length or check digit).
    REQUEST_NUMBER_MALFORMED,
    /// The request number is valid (a verdict, never a refusal).
    REQUEST_NUMBER_VALID,
    /// A request number's validity outside 1..max days.
    VALIDITY_DAYS_OUT_OF_RANGE,
    /// A clerk's note on a request number is too long.
    NOTE_TOO_LONG,
    /// Marking a request number used needs the inquiry that used it.
    INQUIRY_ID_REQUIRED,
    /// An applicant check without the applicant's name.
    FULL_NAME_REQUIRED,
    /// A map point outside WGS84's range.
    POINT_INVALID,
    /// A parcel search with nothing to search for (no code, plate or street name).
    SEARCH_QUERY_INVALID,
}
