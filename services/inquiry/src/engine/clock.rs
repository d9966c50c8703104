//! The statutory clock on the desk (`ListDueInquiries`: what is near or past its deadline,
//! earliest deadline first; clerks and admins) and in public (`GetAnswerTimeStatistics`:
//! per Jalali month, inquiries answered, the median and 95th-percentile time to answer and
//! the share answered within the legal limit; no login). The rule and the definitions are
//! in [`crate::clock`].

use estelam_domain::JalaliDate;
use estelam_proto::inquiry::v1 as pb;
use estelam_runtime::auth::{Caller, Role};
use estelam_runtime::db::now_micros;
use estelam_runtime::error::ServiceError;
use estelam_runtime::paging::{PageSizes, Paging};

use super::Engine;
use crate::clock::{self, NEAR_US};
use crate::errors;
use crate::store;

const PAGE_SIZES: PageSizes = PageSizes {
    default: 50,
    max: 200,
};

fn duration(us: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: us.div_euclid(1_000_000),
        nanos: i32::try_from(us.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
    }
}

impl Engine {
    /// The submitted inquiries not yet answered whose deadline is near (two days or less)
    /// or past — or all of them with `include_on_time` — earliest deadline first.
    pub async fn list_due_inquiries(
        &self,
        caller: &Caller,
        req: &pb::ListDueInquiriesRequest,
    ) -> Result<pb::ListDueInquiriesResponse, ServiceError> {
        caller.require_any(&[Role::Clerk, Role::Admin])?;
        let filter = format!("due:{}", req.include_on_time);
        let paging = Paging::parse(req.page_size, &req.page_token, filter, PAGE_SIZES)?;
        let cursor = paging
            .after()
            .and_then(|k| k.split_once(':'))
            .and_then(|(due, id)| Some((due.parse().ok()?, id.to_owned())))
            .unwrap_or((i64::MIN, String::new()));
        let now = now_micros();
        let due_before = if req.include_on_time {
            i64::MAX
        } else {
            now.saturating_add(NEAR_US).saturating_add(1)
        };
        let mut conn = self.conn().await?;
        let rows =
            store::due_inquiries(&mut conn, due_before, cursor, paging.fetch_limit()).await?;
        let (rows, next_page_token) = paging.finish(rows, |inq| {
            format!("{}:{}", inq.answer_due_at_us().unwrap_or(0), inq.id)
        });
        Ok(pb::ListDueInquiriesResponse {
            inquiries: rows.iter().map(|inq| inq.to_proto_at(now)).collect(),
            next_page_token,
        })
    }

    /// The public figures of one Jalali year (the current one in Iran when 0), per month in
    /// which answers were issued, oldest month first.
    pub async fn answer_time_statistics(
        &self,
        req: &pb::GetAnswerTimeStatisticsRequest,
    ) -> Result<pb::GetAnswerTimeStatisticsResponse, ServiceError> {
        let year = if req.jalali_year == 0 {
            JalaliDate::from_unix_seconds_in_iran(now_micros().div_euclid(1_000_000))
                .map_err(ServiceError::internal)?
                .year()
        } else {
            req.jalali_year
        };
        let (from, to) = clock::jalali_year_bounds(year).ok_or_else(errors::jalali_year_invalid)?;
        let mut conn = self.conn().await?;
        let times = store::answer_times(&mut conn, from, to).await?;
        let months = clock::monthly(&times)
            .into_iter()
            .map(|m| pb::MonthlyAnswerTimes {
                jalali_year: m.year,
                jalali_month: i32::from(m.month),
                answered: i64::try_from(m.answered).unwrap_or(i64::MAX),
                answered_within_limit: i64::try_from(m.within_limit).unwrap_or(i64::MAX),
                median_time_to_answer: Some(duration(m.median_us)),
                p95_time_to_answer: Some(duration(m.p95_us)),
            })
            .collect();
        Ok(pb::GetAnswerTimeStatisticsResponse {
            jalali_year: year,
            legal_limit_days: i32::try_from(clock::LEGAL_DAYS).unwrap_or(10),
            months,
        })
    }
}
