//! The inquiry's state machine, as plain rules with no I/O.
//!
//! The nine steps of the seed become six calls on an inquiry: four (five with the letter)
//! data-entry steps that may be done and redone in order before Submit, then Submit, after
//! which the workflow is driven by the system (assessment, payment, issue). This module
//! decides, for a state, a step and a request type, whether the step may be taken and
//! where the inquiry then stands; the engine ([`crate::engine`]) asks it when it loads the
//! inquiry for a step, before it calls any other service, and the version check of the
//! saving transaction makes sure the state it asked about is still the one it writes over.
//! The texts that explain a state change to the person who sees it are here too.

use estelam_proto::inquiry::v1::InquiryState as Pb;
use estelam_runtime::reasons::{self, Reason};
use serde::{Deserialize, Serialize};

use crate::request_types::Text;

/// Where an inquiry stands. The order of the first nine is the order of the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Created; nothing done yet.
    Draft,
    /// Step 3 done.
    UndertakingsAccepted,
    /// Step 4 done.
    PropertyVerified,
    /// Step 5a done.
    LetterRecorded,
    /// Step 5b done.
    DocumentsAttached,
    /// Step 6 done.
    ApplicantVerified,
    /// Step 6 taken by a representative (وکیل) for the owner: a clerk must approve the
    /// power of attorney, which moves it (back) to [`State::ApplicantVerified`]. Not
    /// editable, so the data the clerk reads cannot change under them.
    AwaitingRepresentation,
    /// Step 6's applicant differs from the parcel's record by name or ownership type: a
    /// clerk reviews it ([`crate::review`]), which moves it (back) to
    /// [`State::ApplicantVerified`] or rejects it. Not editable, like the representation.
    AwaitingReview,
    /// Submitted and assessed.
    Assessed,
    /// Waiting for the bill to be paid.
    AwaitingPayment,
    /// Answer issued. Final.
    Issued,
    /// Refused after submission. Final.
    Rejected,
    /// Cancelled. Final.
    Cancelled,
    /// Left unfinished or unpaid too long. Final.
    Expired,
}

impl State {
    /// Every state, in order.
    pub const ALL: [State; 14] = [
        State::Draft,
        State::UndertakingsAccepted,
        State::PropertyVerified,
        State::LetterRecorded,
        State::DocumentsAttached,
        State::ApplicantVerified,
        State::AwaitingRepresentation,
        State::AwaitingReview,
        State::Assessed,
        State::AwaitingPayment,
        State::Issued,
        State::Rejected,
        State::Cancelled,
        State::Expired,
    ];

    /// The name stored in the database (`snake_case`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::UndertakingsAccepted => "undertakings_accepted",
            State::PropertyVerified => "property_verified",
            State::LetterRecorded => "letter_recorded",
            State::DocumentsAttached => "documents_attached",
            State::ApplicantVerified => "applicant_verified",
            State::AwaitingRepresentation => "awaiting_representation",
            State::AwaitingReview => "awaiting_review",
            State::Assessed => "assessed",
            State::AwaitingPayment => "awaiting_payment",
            State::Issued => "issued",
            State::Rejected => "rejected",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The state on the wire.
    pub fn to_proto(self) -> Pb {
        match self {
            State::Draft => Pb::Draft,
            State::UndertakingsAccepted => Pb::UndertakingsAccepted,
            State::PropertyVerified => Pb::PropertyVerified,
            State::LetterRecorded => Pb::LetterRecorded,
            State::DocumentsAttached => Pb::DocumentsAttached,
            State::ApplicantVerified => Pb::ApplicantVerified,
            State::AwaitingRepresentation => Pb::AwaitingRepresentationApproval,
            State::AwaitingReview => Pb::AwaitingReview,
            State::Assessed => Pb::Assessed,
            State::AwaitingPayment => Pb::AwaitingPayment,
            State::Issued => Pb::Issued,
            State::Rejected => Pb::Rejected,
            State::Cancelled => Pb::Cancelled,
            State::Expired => Pb::Expired,
        }
    }

    /// The state a wire value names; `None` for UNSPECIFIED.
    pub fn from_proto(pb: Pb) -> Option<State> {
        State::ALL.into_iter().find(|s| s.to_proto() == pb)
    }

    /// True for the states nothing leaves.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            State::Issued | State::Rejected | State::Cancelled | State::Expired
        )
    }

    /// True before Submit: the data-entry steps may still be (re)done.
    pub fn is_editable(self) -> bool {
        self <= State::ApplicantVerified
    }

    /// Persian name, for messages.
    pub fn name_fa(self) -> &'static str {
        match self {
            State::Draft => "پیش‌نویس",
            State::UndertakingsAccepted => "پذیرش تعهدات",
            State::PropertyVerified => "تأیید ملک",
            State::LetterRecorded => "ثبت نامه",
            State::DocumentsAttached => "پیوست مدارک",
            State::ApplicantVerified => "تأیید متقاضی",
            State::AwaitingRepresentation => "در انتظار تأیید وکالت",
            State::AwaitingReview => "در انتظار بررسی کارشناس شهرداری",
            State::Assessed => "محاسبهٔ عوارض",
            State::AwaitingPayment => "در انتظار پرداخت",
            State::Issued => "صادرشده",
            State::Rejected => "ردشده",
            State::Cancelled => "لغوشده",
            State::Expired => "منقضی",
        }
    }
}

/// A data-entry step, or Submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Step 3: accept the undertakings.
    AcceptUndertakings,
    /// Step 4: name the property and its request number.
    SetProperty,
    /// Step 5a: the authority's letter.
    SetLetter,
    /// Step 5b: the documents.
    AttachDocuments,
    /// Step 6: the applicant and ownership type.
    SetApplicant,
    /// Steps 7–9: submit for assessment and issue.
    Submit,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [
        Step::AcceptUndertakings,
        Step::SetProperty,
        Step::SetLetter,
        Step::AttachDocuments,
        Step::SetApplicant,
        Step::Submit,
    ];

    /// The state an inquiry is in once this step is done (for Submit, the first state after
    /// it; assessment decides the rest).
    pub fn reaches(self) -> State {
        match self {
            Step::AcceptUndertakings => State::UndertakingsAccepted,
            Step::SetProperty => State::PropertyVerified,
            Step::SetLetter => State::LetterRecorded,
            Step::AttachDocuments => State::DocumentsAttached,
            Step::SetApplicant => State::ApplicantVerified,
            Step::Submit => State::Assessed,
        }
    }

    /// The state that must have been reached before this step may be taken.
    pub fn requires(self, letter_required: bool) -> State {
        match self {
            Step::AcceptUndertakings => State::Draft,
            Step::SetProperty => State::UndertakingsAccepted,
            Step::SetLetter => State::PropertyVerified,
            Step::AttachDocuments if letter_required => State::LetterRecorded,
            Step::AttachDocuments => State::PropertyVerified,
            Step::SetApplicant => State::DocumentsAttached,
            Step::Submit => State::ApplicantVerified,
        }
    }

    /// Persian name, for messages.
    pub fn name_fa(self) -> &'static str {
        match self {
            Step::AcceptUndertakings => "پذیرش تعهدات",
            Step::SetProperty => "تعیین ملک و شماره درخواست",
            Step::SetLetter => "ثبت نامه",
            Step::AttachDocuments => "پیوست مدارک",
            Step::SetApplicant => "مشخصات متقاضی",
            Step::Submit => "ثبت نهایی",
        }
    }

    /// English name, for messages.
    pub fn name_en(self) -> &'static str {
        match self {
            Step::AcceptUndertakings => "accepting the undertakings",
            Step::SetProperty => "naming the property and request number",
            Step::SetLetter => "recording the letter",
            Step::AttachDocuments => "attaching the documents",
            Step::SetApplicant => "naming the applicant",
            Step::Submit => "submitting",
        }
    }
}

/// Why a step may not be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The inquiry is submitted or finished; nothing may be changed.
    NotEditable(State),
    /// An earlier step must be done first.
    TooEarly {
        /// The state the step needs.
        needs: State,
    },
    /// This request type has no letter step.
    NoLetterForType,
    /// A clerk has still to approve the representation; nothing may change meanwhile.
    RepresentationPending,
    /// A clerk has still to review the applicant's mismatch; nothing may change meanwhile.
    ReviewPending,
}

impl Refusal {
    /// The reason code programs branch on.
    pub fn reason(&self) -> Reason {
        match self {
            Refusal::NotEditable(_) => reasons::inquiry::INQUIRY_NOT_EDITABLE,
            Refusal::TooEarly { .. } => reasons::inquiry::STEP_OUT_OF_ORDER,
            Refusal::NoLetterForType => reasons::inquiry::LETTER_NOT_REQUIRED,
            Refusal::RepresentationPending => reasons::inquiry::REPRESENTATION_PENDING,
            Refusal::ReviewPending => reasons::inquiry::REVIEW_PENDING,
        }
    }

    /// What to tell the person, in Persian.
    pub fn message_fa(&self) -> String {
        match self {
            Refusal::NotEditable(s) => format!(
                "این استعلام در وضعیت «{}» است و دیگر قابل تغییر نیست.",
                s.name_fa()
            ),
            Refusal::TooEarly { needs } => {
                format!("ابتدا مرحلهٔ «{}» را انجام دهید.", needs.name_fa())
            }
            Refusal::NoLetterForType => "این نوع درخواست به نامه نیاز ندارد.".into(),
            Refusal::RepresentationPending => {
                "وکالت‌نامهٔ این استعلام در انتظار بررسی کارشناس شهرداری است؛ پس از تأیید می‌توانید ادامه دهید.".into()
            }
            Refusal::ReviewPending => {
                "مشخصات متقاضی این استعلام با سوابق ملک یکی نیست و در انتظار بررسی کارشناس شهرداری است؛ پس از تأیید می‌توانید ادامه دهید.".into()
            }
        }
    }

    /// What to tell the person, in English.
    pub fn message_en(&self) -> String {
        match self {
            Refusal::NotEditable(s) => {
                format!("This inquiry is {s:?} and can no longer be changed.",)
            }
            Refusal::TooEarly { needs } => {
                format!("Complete the earlier step first (the inquiry must reach {needs:?}).")
            }
            Refusal::NoLetterForType => "This request type needs no letter.".into(),
            Refusal::RepresentationPending => "A municipal clerk has still to review this inquiry's power of attorney; go on once it is approved.".into(),
            Refusal::ReviewPending => "The applicant's details differ from the property's record and wait for a municipal clerk's review; go on once it is approved.".into(),
        }
    }
}

/// Where the inquiry stands after `step` is taken in `state`, or why it may not be.
///
/// A step already done may be redone before Submit: the inquiry moves back to that step's
/// state, and the later steps must be done again (the caller clears their data).
pub fn take(state: State, step: Step, letter_required: bool) -> Result<State, Refusal> {
    if state == State::AwaitingRepresentation {
        return Err(Refusal::RepresentationPending);
    }
    if state == State::AwaitingReview {
        return Err(Refusal::ReviewPending);
    }
    if !state.is_editable() {
        return Err(Refusal::NotEditable(state));
    }
    if step == Step::SetLetter && !letter_required {
        return Err(Refusal::NoLetterForType);
    }
    let needs = step.requires(letter_required);
    if state < needs {
        return Err(Refusal::TooEarly { needs });
    }
    if step == Step::Submit && state != State::ApplicantVerified {
        return Err(Refusal::TooEarly {
            needs: State::ApplicantVerified,
        });
    }
    Ok(step.reaches())
}

/// True when taking `step` from `state` moves the inquiry back (a correction).
pub fn is_correction(state: State, step: Step) -> bool {
    state.is_editable() && state >= step.reaches() && step != Step::Submit
}

/// Where a submitted inquiry goes once assessed: issued at once when nothing is owed,
/// otherwise waiting for payment.
pub fn after_assessment(amount_due_rials: i64) -> State {
    if amount_due_rials > 0 {
        State::AwaitingPayment
    } else {
        State::Issued
    }
}

/// Whether a clerk's decision on the representation may be taken in `state`.
pub fn may_decide_representation(state: State) -> bool {
    state == State::AwaitingRepresentation
}

/// Why a clerk refused the representation: their own words, which the representative
/// and the owner are shown.
pub fn representation_refused(reason: &str) -> Text {
    Text {
        fa: format!("کارشناس شهرداری وکالت را نپذیرفت: {reason}"),
        en: format!("A municipal clerk refused the representation: {reason}"),
    }
}

/// Whether a clerk's decision on a mismatch review may be taken in `state`.
pub fn may_decide_review(state: State) -> bool {
    state == State::AwaitingReview
}

/// Why the inquiry went on after a mismatch: a clerk checked it against the deed.
pub fn review_approved(kind: crate::review::Kind) -> Text {
    match kind {
        crate::review::Kind::NameMismatch => Text::new(
            "کارشناس شهرداری نام متقاضی را با سند بررسی و تأیید کرد.",
            "A municipal clerk checked the applicant's name against the deed and approved it.",
        ),
        crate::review::Kind::OwnershipTypeMismatch => Text::new(
            "کارشناس شهرداری نوع مالکیت را با سند بررسی و تأیید کرد.",
            "A municipal clerk checked the ownership type against the deed and approved it.",
        ),
    }
}

/// Why a clerk refused the applicant after a mismatch: their own words, which the
/// applicant is shown.
pub fn review_refused(reason: &Text) -> Text {
    Text {
        fa: format!("کارشناس شهرداری مشخصات متقاضی را نپذیرفت: {}", reason.fa),
        en: format!(
            "A municipal clerk refused the applicant's details: {}",
            reason.en
        ),
    }
}

/// Whether a cancellation is allowed from `state`.
pub fn may_cancel(state: State) -> bool {
    !state.is_final()
}

/// Whether the payment of the bill may issue the answer from `state`.
pub fn may_issue_on_payment(state: State) -> bool {
    state == State::AwaitingPayment
}

/// Why the inquiry moved back: `step` was redone, so the steps after it must be done again.
pub fn step_redone(step: Step) -> Text {
    Text {
        fa: format!("مرحلهٔ «{}» دوباره انجام شد.", step.name_fa()),
        en: format!("Step redone: {}.", step.name_en()),
    }
}

/// Why Submit rejected the inquiry: the parcel changed hands after step 6 checked the
/// applicant, and an answer must not name a former owner.
pub fn ownership_changed() -> Text {
    Text::new(
        "مالکیت ملک پس از تأیید متقاضی تغییر کرده و متقاضی دیگر مالک آن نیست؛ در صورت نیاز استعلام تازه‌ای ثبت کنید.",
        "The property's ownership changed after the applicant was checked and the applicant no longer owns it; file a new inquiry if needed.",
    )
}

/// Why the recovery sweep expired an inquiry left unfinished or unpaid.
pub fn ran_out_of_time() -> Text {
    Text::new(
        "مهلت تکمیل یا پرداخت این استعلام گذشت؛ استعلام تازه‌ای ثبت کنید.",
        "The time to finish or pay this inquiry ran out; file a new inquiry.",
    )
}

/// Why an inquiry was cancelled: the caller's own words, or a plain "on request".
pub fn cancelled_because(reason: &str) -> Text {
    let reason = reason.trim();
    if reason.is_empty() {
        Text::new("به درخواست کاربر لغو شد.", "Cancelled on request.")
    } else {
        Text::new(reason, reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_follows_the_seed() {
        let mut s = State::Draft;
        for step in Step::ALL {
            s = take(s, step, true).expect("in order");
        }
        assert_eq!(s, State::Assessed);
        assert_eq!(after_assessment(0), State::Issued);
        assert_eq!(after_assessment(10), State::AwaitingPayment);
    }

    #[test]
    fn without_a_letter_documents_follow_the_property() {
        let s = take(State::PropertyVerified, Step::AttachDocuments, false).unwrap();
        assert_eq!(s, State::DocumentsAttached);
        assert_eq!(
            take(State::PropertyVerified, Step::SetLetter, false),
            Err(Refusal::NoLetterForType)
        );
        assert!(take(State::PropertyVerified, Step::AttachDocuments, true).is_err());
    }

    #[test]
    fn a_step_may_not_be_skipped() {
        assert_eq!(
            take(State::Draft, Step::SetProperty, true),
            Err(Refusal::TooEarly {
                needs: State::UndertakingsAccepted
            })
        );
        assert!(take(State::DocumentsAttached, Step::Submit, true).is_err());
    }

    #[test]
    fn redoing_a_step_moves_back() {
        assert_eq!(
            take(State::ApplicantVerified, Step::SetProperty, true),
            Ok(State::PropertyVerified)
        );
        assert!(is_correction(State::ApplicantVerified, Step::SetProperty));
        assert!(!is_correction(State::PropertyVerified, Step::SetLetter));
    }

    #[test]
    fn nothing_changes_after_submit() {
        for s in [
            State::Assessed,
            State::AwaitingPayment,
            State::Issued,
            State::Cancelled,
        ] {
            for step in Step::ALL {
                assert_eq!(take(s, step, true), Err(Refusal::NotEditable(s)));
            }
        }
        assert!(!may_cancel(State::Issued));
        assert!(may_cancel(State::AwaitingPayment));
        assert!(may_issue_on_payment(State::AwaitingPayment));
        assert!(!may_issue_on_payment(State::ApplicantVerified));
    }

    #[test]
    fn nothing_moves_while_the_representation_waits() {
        for step in Step::ALL {
            assert_eq!(
                take(State::AwaitingRepresentation, step, true),
                Err(Refusal::RepresentationPending)
            );
        }
        assert!(may_decide_representation(State::AwaitingRepresentation));
        assert!(!may_decide_representation(State::ApplicantVerified));
        assert!(may_cancel(State::AwaitingRepresentation));
    }

    #[test]
    fn nothing_moves_while_a_clerk_reviews() {
        for step in Step::ALL {
            assert_eq!(
                take(State::AwaitingReview, step, true),
                Err(Refusal::ReviewPending)
            );
        }
        assert!(may_decide_review(State::AwaitingReview));
        assert!(!may_decide_review(State::AwaitingRepresentation));
        assert!(!State::AwaitingReview.is_editable());
        assert!(may_cancel(State::AwaitingReview));
        let why = review_refused(&Text::new("سند دیگری است", "another deed"));
        assert!(why.fa.contains("سند دیگری است") && why.en.contains("another deed"));
    }

    #[test]
    fn names_round_trip() {
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_eq!(State::from_proto(s.to_proto()), Some(s));
        }
    }

    fn any_state() -> impl Strategy<Value = State> {
        prop::sample::select(State::ALL.to_vec())
    }

    fn any_step() -> impl Strategy<Value = Step> {
        prop::sample::select(Step::ALL.to_vec())
    }

    proptest! {
        /// Whatever sequence of steps a client sends, the inquiry only ever reaches a state
        /// whose every earlier required step was taken, and never leaves a final state.
        #[test]
        fn random_step_sequences_keep_the_order(
            steps in prop::collection::vec(any_step(), 0..40),
            letter in any::<bool>(),
        ) {
            let mut s = State::Draft;
            let mut done: Vec<Step> = Vec::new();
            for step in steps {
                if let Ok(next) = take(s, step, letter) {
                    prop_assert!(s.is_editable());
                    prop_assert!(next <= s.max(step.reaches()));
                    // Redoing a step forgets the later ones.
                    done.retain(|d| d.reaches() < step.reaches());
                    done.push(step);
                    s = next;
                }
                // Every step needed for the current state has been done, in this pass.
                for needed in Step::ALL {
                    if needed == Step::Submit || (needed == Step::SetLetter && !letter) {
                        continue;
                    }
                    if needed.reaches() <= s && s.is_editable() {
                        prop_assert!(done.contains(&needed), "{s:?} without {needed:?}");
                    }
                }
                if s == State::Assessed { break; }
            }
        }

        /// A refused step never changes where the inquiry stands, and a final state refuses
        /// every step.
        #[test]
        fn refusals_are_total_for_final_states(s in any_state(), step in any_step(), letter in any::<bool>()) {
            if s.is_final() {
                prop_assert!(take(s, step, letter).is_err());
            }
            if let Ok(next) = take(s, step, letter) {
                prop_assert!(next.is_editable() || step == Step::Submit);
            }
        }
    }
}
