// Every word the portal shows, in Persian (first) and English, and the number and date
// formats of each language: Persian digits and Jalali dates (Intl's Persian calendar) in
// Persian mode, Latin digits and Gregorian dates in English mode.

import { WIZARD_STRINGS } from './strings-wizard.js';
import { DESK_STRINGS } from './strings-desk.js';

const STRINGS = {
  fa: {
    portal_name: 'سامانهٔ خدمات الکترونیکی',
    skip_to_content: 'پرش به محتوا',
    loading: 'در حال بارگذاری…',
    nav_main: 'اصلی',
    nav_home: 'خدمات',
    nav_inquiries: 'استعلام‌های من',
    nav_map: 'نقشه',
    nav_verify: 'بررسی اصالت پاسخ',
    footer_note: 'پاسخ‌های استعلام با کد تصدیق در همین سامانه قابل بررسی‌اند.',
    footer_api: 'راهنمای رابط برنامه‌نویسی',
    footer_status: 'وضعیت سامانه',
    lang_switch: 'English',
    login: 'ورود',
    logout: 'خروج',
    register: 'ثبت‌نام',
    account: 'حساب',
    not_found_title: 'این صفحه پیدا نشد',
    not_found_text: 'نشانی را بررسی کنید یا به فهرست خدمات برگردید.',
    back_home: 'بازگشت به خدمات',
    home_title: 'خدمات الکترونیکی شهرداری',
    home_intro: 'استعلام ملک را شبانه‌روز و بدون مراجعهٔ حضوری انجام دهید: درخواست، پرداخت بدهی و دریافت پاسخ امضاشده.',
    svc_inquiry_title: 'استعلام ملک',
    svc_inquiry_text: 'درخواست پاسخ استعلام برای دفترخانه، بانک یا دادگاه، در نُه گام.',
    svc_my_title: 'استعلام‌های من',
    svc_my_text: 'وضعیت درخواست‌ها، صورت‌حساب‌ها و پاسخ‌ها.',
    svc_map_title: 'نقشهٔ املاک',
    svc_map_text: 'پیدا کردن ملک روی نقشه و دیدن کد نوسازی آن.',
    svc_verify_title: 'بررسی اصالت پاسخ',
    svc_verify_text: 'هر کسی می‌تواند با کد تصدیق، درستی یک پاسخ استعلام را ببیند.',
    request_types_title: 'انواع درخواست',
    request_types_none: 'فهرست انواع درخواست هنوز در دسترس نیست.',
    start: 'شروع',
    login_title: 'ورود به سامانه',
    login_with_national: 'با کد ملی',
    login_with_membership: 'با کد عضویت',
    national_code: 'کد ملی',
    national_code_hint: 'ده رقم؛ ارقام فارسی هم پذیرفته می‌شود.',
    membership_code: 'کد عضویت',
    password: 'گذرواژه',
    password_hint: 'دست‌کم ۸ نویسه.',
    password_title: 'تغییر گذرواژه',
    password_current: 'گذرواژهٔ کنونی',
    password_new: 'گذرواژهٔ تازه',
    password_change: 'تغییر گذرواژه',
    password_change_required: 'گذرواژهٔ این حساب برای شما تعیین شده است؛ پیش از هر کار دیگری گذرواژه‌ای از خودتان برگزینید.',
    no_account: 'حساب ندارید؟',
    have_account: 'حساب دارید؟',
    register_title: 'ثبت‌نام شهروند',
    first_name: 'نام',
    last_name: 'نام خانوادگی',
    mobile: 'شمارهٔ همراه',
    mobile_hint: 'مانند ۰۹۱۲۳۴۵۶۷۸۹',
    registered_title: 'ثبت‌نام انجام شد',
    registered_text: 'کد عضویت شما در زیر آمده است. آن را یادداشت کنید؛ با آن یا با کد ملی وارد می‌شوید.',
    continue_to_login: 'ادامه و ورود',
    mobile_title: 'تأیید شمارهٔ همراه',
    mobile_text: 'کدی {n} رقمی به شمارهٔ {mobile} پیامک شده است. آن را این‌جا وارد کنید.',
    mobile_code: 'کد تأیید',
    mobile_code_hint: 'کد {n} رقمی پیامک‌شده',
    mobile_verify: 'تأیید',
    mobile_resend: 'ارسال دوبارهٔ کد',
    mobile_resend_wait: 'ارسال دوباره تا {n} ثانیهٔ دیگر ممکن است.',
    mobile_later: 'بعداً',
    mobile_code_sent: 'کد تازه‌ای پیامک شد.',
    mobile_verified_title: 'شمارهٔ همراه تأیید شد',
    mobile_verified_text: 'شمارهٔ همراه شما تأیید شد.',
    mobile_continue: 'ادامه',
    mobile_unverified: 'تأیید همراه',
    mobile_unverified_notice: 'شمارهٔ همراه شما هنوز تأیید نشده است.',
    mobile_verify_now: 'تأیید شمارهٔ همراه',
    submit: 'ثبت',
    next: 'گام بعد',
    back: 'گام قبل',
    save: 'ذخیره',
    working: 'در حال انجام…',
    login_required: 'برای این کار ابتدا وارد شوید.',
    error_generic: 'خطایی رخ داد؛ کمی بعد دوباره تلاش کنید.',
    error_network: 'ارتباط با سامانه برقرار نشد؛ اتصال اینترنت را بررسی کنید و دوباره تلاش کنید.',
    request_id: 'شناسهٔ پیگیری خطا: {id}',
    required_field: 'این بخش را پر کنید.',
    must_accept: 'برای ادامه باید این را بپذیرید.',
    my_inquiries_title: 'استعلام‌های من',
    my_inquiries_none: 'هنوز استعلامی ثبت نکرده‌اید.',
    new_inquiry: 'استعلام تازه',
    inquiry_number: 'شمارهٔ استعلام',
    created_at: 'تاریخ ایجاد',
    state: 'وضعیت',
    open: 'باز کردن',
    wizard_title: 'استعلام ملک',
    step_of: 'گام {n} از {total}: {name}',
    step1: 'خدمات',
    step2: 'ورود',
    step3: 'نوع درخواست و تعهدات',
    step4: 'ملک',
    step5: 'نامه و مدارک',
    step6: 'متقاضی',
    step7: 'بررسی بدهی',
    step8: 'پرداخت',
    step9: 'پاسخ',
    choose_type: 'نوع درخواست را برگزینید',
    undertakings: 'تعهدات',
    accept_undertaking: 'این تعهد را خوانده‌ام و می‌پذیرم.',
    property_by_code: 'با کد نوسازی',
    property_by_map: 'با انتخاب روی نقشه',
    renovation_code: 'کد نوسازی',
    renovation_code_hint: 'شش بخش با خط تیره یا ممیز، مانند ۱-۲-۳-۴-۱-۱',
    request_number: 'شمارهٔ درخواست',
    request_number_hint: 'شماره‌ای که شهرداری پیش‌تر برای این ملک صادر کرده است.',
    picked_parcel: 'ملک انتخاب‌شده: {code}',
    pick_on_map: 'روی ملک مورد نظر در نقشه بزنید.',
    letter: 'نامهٔ مرجع استعلام',
    letter_number: 'شمارهٔ نامه',
    letter_date: 'تاریخ نامه',
    authority: 'مرجع استعلام‌کننده',
    authority_hint: 'دفترخانه، بانک یا دادگاهی که از شما استعلام خواسته است.',
    authority_choose: 'انتخاب کنید…',
    documents: 'مدارک',
    doc_national_id_card: 'تصویر کارت ملی',
    doc_ownership_deed: 'تصویر سند مالکیت',
    doc_authority_letter: 'نامهٔ مرجع استعلام',
    doc_other: 'سایر مدارک',
    doc_power_of_attorney: 'تصویر وکالت‌نامه',
    act_as_representative: 'به وکالت از مالک اقدام می‌کنم (وکالت‌نامه پیوست می‌کنم).',
    representation_hint: 'نام و کد ملی بالا را از آنِ مالک بنویسید. پس از بررسی وکالت‌نامه به دست کارمند شهرداری، استعلام ادامه می‌یابد و به مالک پیامک می‌رسد.',
    representative_name: 'نام و نام خانوادگی وکیل',
    representation_waiting: 'وکالت‌نامه در انتظار بررسی کارمند شهرداری است؛ پس از تأیید، استعلام را ثبت نهایی کنید.',
    owner: 'مالک',
    representation: 'وکالت',
    representation_approve: 'تأیید وکالت',
    representation_refuse: 'رد وکالت',
    representation_refuse_reason: 'دلیل رد (به وکیل و مالک نشان داده می‌شود)',
    representations_waiting: 'وکالت‌های در انتظار بررسی',
    representations_none: 'وکالتی در انتظار بررسی نیست.',
    state_awaiting_representation_approval: 'در انتظار تأیید وکالت',
    upload_required: 'این مدرک را بارگذاری کنید و بگذارید بارگذاری تمام شود.',
    upload_hint: 'PDF یا تصویر (JPEG، PNG، WebP)، حداکثر ۱۰ مگابایت.',
    uploading: 'در حال بارگذاری… {percent}',
    uploaded: 'بارگذاری شد: {name}',
    applicant: 'مشخصات متقاضی',
    full_name: 'نام و نام خانوادگی',
    ownership_type: 'نوع مالکیت',
    own_full: 'شش‌دانگ',
    own_shared: 'مشاع',
    own_endowment: 'موقوفه',
    own_state: 'دولتی',
    own_leasehold: 'اجاره‌ای / سرقفلی',
    submit_inquiry: 'ثبت نهایی و بررسی بدهی',
    bill: 'صورت‌حساب',
    bill_item: 'شرح',
    bill_year: 'سال',
    bill_amount: 'مبلغ (ریال)',
    bill_penalty: 'جریمه',
    bill_total: 'جمع قابل پرداخت',
    no_debt: 'این ملک بدهی ندارد.',
    pay: 'پرداخت',
    pay_sandbox_note: 'پرداخت در درگاه آزمایشی انجام می‌شود.',
    tracking_code: 'کد رهگیری',
    answer: 'پاسخ استعلام',
    answer_download_pdf: 'دریافت PDF',
    answer_open_html: 'نسخهٔ چاپی',
    verification_code: 'کد تصدیق',
    verify_title: 'بررسی اصالت پاسخ استعلام',
    verify_intro: 'کد تصدیق چاپ‌شده روی پاسخ را وارد کنید یا رمزینهٔ QR آن را بخوانید.',
    verify_button: 'بررسی',
    verify_valid: 'این پاسخ معتبر است و امضای آن درست است.',
    verify_unknown: 'پاسخی با این کد تصدیق وجود ندارد.',
    verify_revoked: 'این پاسخ باطل شده است.',
    verify_expired: 'اعتبار این پاسخ به پایان رسیده است.',
    verify_mismatch: 'نسخهٔ در دست شما با پاسخ ثبت‌شده یکی نیست.',
    verify_root_fingerprint: 'اثر انگشت کلید ریشهٔ امضای پاسخ‌ها (برای مقایسه با نسخهٔ منتشرشدهٔ شهرداری):',
    verify_offline_link: 'بررسی بدون شبکه: صفحهٔ بررسی آفلاین را باز یا ذخیره کنید و متن رمزینهٔ QR را در آن بچسبانید.',
    issued_at: 'زمان صدور',
    valid_until: 'معتبر تا',
    parcel: 'ملک',
    address: 'نشانی',
    debt_status: 'وضعیت بدهی',
    map_title: 'نقشهٔ املاک',
    map_intro: 'برای دیدن کد نوسازی، روی یک ملک بزنید. برای دیدن املاک بیشتر، نقشه را جابه‌جا کنید.',
    map_no_tiles: 'نقشهٔ پایه پیکربندی نشده است؛ تنها مرز املاک نمایش داده می‌شود.',
    map_parcels: '{count} ملک در این محدوده',
    map_zoom_in: 'برای دیدن املاک، نقشه را بزرگ‌تر کنید.',
    map_unavailable: 'دادهٔ املاک اکنون در دسترس نیست.',
    find_parcel: 'یافتن ملک',
    owners: 'مالکان',
    share_dang: '{n} دانگ',
    issue_request_number: 'صدور شمارهٔ درخواست',
    request_number_note: 'یادداشت (اختیاری)',
    request_number_issued: 'شمارهٔ درخواست صادر شد:',
    clerk_inquiries: 'استعلام‌ها',
    inquiry_id: 'شناسهٔ استعلام',
    download: 'دریافت',
    revoke_answer: 'ابطال پاسخ',
    revoke_reason: 'دلیل ابطال (به هر بررسی‌کننده نشان داده می‌شود)',
    clerk_title: 'میز کارمند',
    not_wired: 'این بخش با راه‌اندازی خدمت «{service}» فعال می‌شود.',
    state_draft: 'پیش‌نویس',
    state_undertakings_accepted: 'تعهدات پذیرفته شد',
    state_property_verified: 'ملک تأیید شد',
    state_letter_recorded: 'نامه ثبت شد',
    state_documents_attached: 'مدارک پیوست شد',
    state_applicant_verified: 'متقاضی تأیید شد',
    state_assessed: 'بررسی‌شده',
    state_awaiting_payment: 'در انتظار پرداخت',
    state_issued: 'پاسخ صادر شد',
    state_rejected: 'رد شد',
    state_cancelled: 'لغو شد',
    state_expired: 'منقضی شد',
  },
  en: {
    portal_name: 'E-services portal',
    skip_to_content: 'Skip to content',
    loading: 'Loading…',
    nav_main: 'Main',
    nav_home: 'Services',
    nav_inquiries: 'My inquiries',
    nav_map: 'Map',
    nav_verify: 'Verify an answer',
    footer_note: 'Every inquiry answer can be verified on this portal with its verification code.',
    footer_api: 'API reference',
    footer_status: 'System status',
    lang_switch: 'فارسی',
    login: 'Log in',
    logout: 'Log out',
    register: 'Register',
    account: 'Account',
    not_found_title: 'Page not found',
    not_found_text: 'Check the address, or go back to the list of services.',
    back_home: 'Back to services',
    home_title: 'Municipal e-services',
    home_intro: 'Ask for a property inquiry at any hour without visiting an office: file it, pay any debt, and download the signed answer.',
    svc_inquiry_title: 'Property inquiry',
    svc_inquiry_text: 'An official answer for a notary office, bank or court, in nine steps.',
    svc_my_title: 'My inquiries',
    svc_my_text: 'Status of your requests, bills and answers.',
    svc_map_title: 'Property map',
    svc_map_text: 'Find a property on the map and see its renovation code.',
    svc_verify_title: 'Verify an answer',
    svc_verify_text: 'Anyone can check an inquiry answer with its verification code.',
    request_types_title: 'Request types',
    request_types_none: 'The list of request types is not available yet.',
    start: 'Start',
    login_title: 'Log in',
    login_with_national: 'With national code',
    login_with_membership: 'With membership code',
    national_code: 'National code',
    national_code_hint: 'Ten digits; Persian digits are accepted too.',
    membership_code: 'Membership code',
    password: 'Password',
    password_hint: 'At least 8 characters.',
    password_title: 'Change your password',
    password_current: 'Current password',
    password_new: 'New password',
    password_change: 'Change password',
    password_change_required: 'This account\'s password was set for you; choose one of your own before doing anything else.',
    no_account: 'No account yet?',
    have_account: 'Already registered?',
    register_title: 'Citizen registration',
    first_name: 'First name',
    last_name: 'Last name',
    mobile: 'Mobile number',
    mobile_hint: 'Such as 09123456789',
    registered_title: 'You are registered',
    registered_text: 'Your membership code is below. Write it down: you log in with it or with your national code.',
    continue_to_login: 'Continue to log in',
    mobile_title: 'Confirm your mobile number',
    mobile_text: 'A {n}-digit code was sent by SMS to {mobile}. Enter it here.',
    mobile_code: 'Verification code',
    mobile_code_hint: 'The {n}-digit code from the SMS',
    mobile_verify: 'Verify',
    mobile_resend: 'Send the code again',
    mobile_resend_wait: 'You can ask for another code in {n} seconds.',
    mobile_later: 'Later',
    mobile_code_sent: 'A new code was sent by SMS.',
    mobile_verified_title: 'Mobile number confirmed',
    mobile_verified_text: 'Your mobile number is verified.',
    mobile_continue: 'Continue',
    mobile_unverified: 'Verify mobile',
    mobile_unverified_notice: 'Your mobile number is not verified yet.',
    mobile_verify_now: 'Verify your mobile number',
    submit: 'Submit',
    next: 'Next step',
    back: 'Previous step',
    save: 'Save',
    working: 'Working…',
    login_required: 'Please log in first.',
    error_generic: 'Something went wrong; please try again shortly.',
    error_network: 'Could not reach the system; check your connection and try again.',
    request_id: 'Error reference: {id}',
    required_field: 'Please fill this in.',
    must_accept: 'You must accept this to go on.',
    my_inquiries_title: 'My inquiries',
    my_inquiries_none: 'You have not filed any inquiry yet.',
    new_inquiry: 'New inquiry',
    inquiry_number: 'Inquiry number',
    created_at: 'Created',
    state: 'Status',
    open: 'Open',
    wizard_title: 'Property inquiry',
    step_of: 'Step {n} of {total}: {name}',
    step1: 'Services',
    step2: 'Log in',
    step3: 'Request type and undertakings',
    step4: 'Property',
    step5: 'Letter and documents',
    step6: 'Applicant',
    step7: 'Debt check',
    step8: 'Payment',
    step9: 'Answer',
    choose_type: 'Choose the request type',
    undertakings: 'Undertakings',
    accept_undertaking: 'I have read this undertaking and accept it.',
    property_by_code: 'By renovation code',
    property_by_map: 'By picking on the map',
    renovation_code: 'Renovation code',
    renovation_code_hint: 'Six parts separated by - or /, such as 1-2-3-4-1-1',
    request_number: 'Request number',
    request_number_hint: 'The number the municipality issued earlier for this property.',
    picked_parcel: 'Chosen property: {code}',
    pick_on_map: 'Tap the property on the map.',
    letter: 'Letter of the inquiring authority',
    letter_number: 'Letter number',
    letter_date: 'Letter date',
    authority: 'Inquiring authority',
    authority_hint: 'The notary office, bank or court that asked you for the inquiry.',
    authority_choose: 'Choose…',
    documents: 'Documents',
    doc_national_id_card: 'National ID card',
    doc_ownership_deed: 'Ownership deed',
    doc_authority_letter: 'Authority letter',
    doc_other: 'Other documents',
    doc_power_of_attorney: 'Power of attorney',
    act_as_representative: 'I act as the owner\'s representative (I attach the power of attorney).',
    representation_hint: 'Give the owner\'s name and national code above. Once a municipal clerk checks the power of attorney the inquiry goes on, and the owner is told by SMS.',
    representative_name: 'Representative\'s full name',
    representation_waiting: 'The power of attorney is waiting for a municipal clerk; once it is approved, submit the inquiry.',
    owner: 'Owner',
    representation: 'Representation',
    representation_approve: 'Approve the representation',
    representation_refuse: 'Refuse the representation',
    representation_refuse_reason: 'Why (shown to the representative and the owner)',
    representations_waiting: 'Representations waiting for review',
    representations_none: 'No representation is waiting.',
    state_awaiting_representation_approval: 'Waiting for the representation to be approved',
    upload_required: 'Upload this document and let the upload finish.',
    upload_hint: 'PDF or an image (JPEG, PNG, WebP), at most 10 MB.',
    uploading: 'Uploading… {percent}',
    uploaded: 'Uploaded: {name}',
    applicant: 'Applicant',
    full_name: 'Full name',
    ownership_type: 'Ownership type',
    own_full: 'Full (six dang)',
    own_shared: 'Shared (undivided)',
    own_endowment: 'Endowment',
    own_state: 'State',
    own_leasehold: 'Leasehold',
    submit_inquiry: 'Submit and check debt',
    bill: 'Bill',
    bill_item: 'Item',
    bill_year: 'Year',
    bill_amount: 'Amount (rials)',
    bill_penalty: 'Penalty',
    bill_total: 'Total to pay',
    no_debt: 'This property owes nothing.',
    pay: 'Pay',
    pay_sandbox_note: 'Payment goes through the sandbox payment provider.',
    tracking_code: 'Tracking code',
    answer: 'Inquiry answer',
    answer_download_pdf: 'Download PDF',
    answer_open_html: 'Printable copy',
    verification_code: 'Verification code',
    verify_title: 'Verify an inquiry answer',
    verify_intro: 'Enter the verification code printed on the answer, or scan its QR code.',
    verify_button: 'Verify',
    verify_valid: 'This answer is valid and its signature verifies.',
    verify_unknown: 'No answer has this verification code.',
    verify_revoked: 'This answer was revoked.',
    verify_expired: 'This answer is past its validity.',
    verify_mismatch: 'The copy in your hands differs from the answer on record.',
    verify_root_fingerprint: 'Fingerprint of the answers\' root signing key (compare it with the one the municipality publishes):',
    verify_offline_link: 'No network? Open or save the offline verification page and paste the QR code\'s text into it.',
    issued_at: 'Issued',
    valid_until: 'Valid until',
    parcel: 'Property',
    address: 'Address',
    debt_status: 'Debt',
    map_title: 'Property map',
    map_intro: 'Tap a property to see its renovation code. Move the map to see more.',
    map_no_tiles: 'No base map is configured; only property outlines are drawn.',
    map_parcels: '{count} properties in view',
    map_zoom_in: 'Zoom in to see properties.',
    map_unavailable: 'Property data is not available right now.',
    find_parcel: 'Find a property',
    owners: 'Owners',
    share_dang: '{n} dang',
    issue_request_number: 'Issue a request number',
    request_number_note: 'Note (optional)',
    request_number_issued: 'Request number issued:',
    clerk_inquiries: 'Inquiries',
    inquiry_id: 'Inquiry id',
    download: 'Download',
    revoke_answer: 'Revoke the answer',
    revoke_reason: 'Why (shown to everyone who verifies it)',
    clerk_title: 'Clerk desk',
    not_wired: 'This part turns on when the “{service}” service lands.',
    state_draft: 'Draft',
    state_undertakings_accepted: 'Undertakings accepted',
    state_property_verified: 'Property verified',
    state_letter_recorded: 'Letter recorded',
    state_documents_attached: 'Documents attached',
    state_applicant_verified: 'Applicant verified',
    state_assessed: 'Assessed',
    state_awaiting_payment: 'Awaiting payment',
    state_issued: 'Answer issued',
    state_rejected: 'Rejected',
    state_cancelled: 'Cancelled',
    state_expired: 'Expired',
  },
};
Object.assign(STRINGS.fa, WIZARD_STRINGS.fa);
Object.assign(STRINGS.en, WIZARD_STRINGS.en);
Object.assign(STRINGS.fa, DESK_STRINGS.fa);
Object.assign(STRINGS.en, DESK_STRINGS.en);

const STORAGE_KEY = 'estelam.lang';
let current = 'fa';

/** The current language, `fa` or `en`. */
export function lang() {
  return current;
}

/** Every key of both dictionaries (the unit check that fa and en match uses it). */
export function keys(language) {
  return Object.keys(STRINGS[language]);
}

/** The text for `key` in the current language, with `{name}` filled from `params`. */
export function t(key, params = {}) {
  const template = STRINGS[current][key] ?? STRINGS.fa[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    const value = params[name];
    if (value === undefined || value === null) return '';
    return typeof value === 'number' ? num(value) : digits(String(value));
  });
}

const PERSIAN_DIGITS = '۰۱۲۳۴۵۶۷۸۹';

/** Latin digits shown as Persian ones in Persian mode. */
export function digits(text) {
  if (current !== 'fa') return text;
  return String(text).replace(/[0-9]/g, (d) => PERSIAN_DIGITS[Number(d)]);
}

/** An inquiry number as the answer prints it: without the zeros that pad it (`175`, not
 *  `0000000175`), in the page's digits; the API accepts it either way. */
export function inquiryNumber(number) {
  return digits(String(number || '').replace(/^0+(?=\d)/, ''));
}

/** Persian (۰–۹) and Arabic-Indic (٠–٩) digits as Latin ones, for sending to the API. */
export function latinDigits(text) {
  return String(text)
    .replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660));
}

/** A number with the language's digits and grouping. */
export function num(n) {
  return new Intl.NumberFormat(current === 'fa' ? 'fa-IR' : 'en-US').format(n);
}

/** A number of rials and the same in tomans (ten rials), for a person reading a bill. */
export function tomans(rials) {
  return num(Math.floor(rials / 10));
}

/** An amount of rials. */
export function rial(n) {
  return current === 'fa' ? `${num(n)} ریال` : `${num(n)} rials`;
}

function dateFormat(options) {
  const locale = current === 'fa' ? 'fa-IR-u-ca-persian' : 'en-GB';
  return new Intl.DateTimeFormat(locale, { timeZone: 'Asia/Tehran', ...options });
}

/** A date (RFC 3339 string or Date): Jalali with Persian digits in Persian mode. */
export function date(value) {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return dateFormat({ dateStyle: 'medium' }).format(d);
}

/** A date and time, in Iran's time zone. */
export function dateTime(value) {
  if (!value) return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return dateFormat({ dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** `{fa, en}` text from the API in the current language (Persian when English is empty). */
export function localized(text) {
  if (!text) return '';
  // Server texts carry Latin digits ("renewal levy 1405"); Persian mode shows them Persian.
  return digits((current === 'en' && text.en) || text.fa || text.en || '');
}

/** Fills every `data-i18n` element (and `data-i18n-aria-label`) under `root`. */
export function applyStatic(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll('[data-i18n-aria-label]').forEach((el) => {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  });
}

/** Switches language: the page's `lang` and `dir`, the stored choice, and a `langchange` event. */
export function setLang(language) {
  current = language === 'en' ? 'en' : 'fa';
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = current;
  document.documentElement.dir = current === 'fa' ? 'rtl' : 'ltr';
  window.dispatchEvent(new CustomEvent('langchange', { detail: current }));
}

/** The stored choice, Persian by default. */
export function initialLang() {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'fa';
  } catch {
    return 'fa';
  }
}

/** When an answer was issued: the Jalali date and time it states in Persian, the instant in English. */
export function issuedText(facts) {
  if (current === 'fa' || !facts.issued_at) return digits(facts.issued_at_jalali || '');
  return dateTime(facts.issued_at);
}

/** Until when an answer is valid, in the same way. */
export function validText(facts) {
  if (current === 'fa' || !facts.valid_until) return digits(facts.valid_until_jalali || '');
  return date(facts.valid_until);
}
