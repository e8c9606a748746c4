"""Every published table and column, described once: used for DuckDB COMMENT ON and docs/warehouse.md."""

from __future__ import annotations

from zero_dropout.population import CATEGORY_LABELS_TH

SUMMARY_TABLES = {
    "summary_by_amphoe": "province_code, term, amphoe_code, category",
    "summary_by_tambon": "province_code, term, amphoe_code, tambon_code, category",
    "summary_by_age_band": "province_code, term, age_band, sex, category",
    "summary_by_nationality": "province_code, term, nationality_group, category",
    "summary_by_reason": "province_code, term, category, reason",
    "summary_by_pending_review": "province_code, term, amphoe_code, category, pending_review",
}

# analyst summaries beyond SUMMARY_TABLES (the province history writes them, suppressed)
EXTRA_SUMMARY_DOCS = {
    "summary_by_target_group": (
        "Out-of-school children of each configured target group by amphoe and category per province and term; "
        "counts under 5 suppressed.", {"target_group": "the group of provinces.toml"}),
    "summary_by_stage": (
        "Children per stage of risk (upstream, midstream, downstream) by amphoe, per province, term and target list; "
        "counts under 5 suppressed.", {"stage": "upstream, midstream or downstream", "target_group": "the list"}),
    "summary_by_stage_transition": (
        "Children per stage transition (previous stage -> stage; none: not in a stage) per province, term and "
        "target list; counts under 5 suppressed.", {"previous_stage": "stage in the previous loaded term, or none",
                                                    "stage": "stage now, or none"}),
    "aid_summary": (
        "Aid per province, term, programme, amphoe and child status: children paid, payments and baht. A cell of "
        "1-4 children shows neither count nor amount (suppressed true), and the cells that would give it away are "
        "suppressed too. not_linked: payments no registry person was found for (each counted as one child).",
        {"children": "children paid (NULL when under 5)", "payments": "payments (NULL when suppressed)",
         "amount_baht": "baht paid (NULL when suppressed)",
         "child_status": "out_of_school, returned, in_school, not_in_target or not_linked"}),
    "return_payment_summary": (
        "Per province and term: children who returned to school (in school after being out in an earlier loaded "
        "term) and how many of them received the return-to-school payment; counts of 1-4 suppressed.",
        {"children_returned": "children of the default cohort back in school this term (NULL when 1-4)",
         "returned_with_return_payment": "of them, with a return_to_school payment this term (NULL when 1-4)",
         "return_payment_baht": "baht of those payments (NULL when the count is suppressed)"}),
}
EXTRA_SUMMARIES = list(EXTRA_SUMMARY_DOCS)

COMMON = {
    "province_code": "2-digit DOPA province code of the child's registered address",
    "term": "academic term, YYYY-S in Buddhist era (2567-1 is shown as 1/2567)",
    "source": "moe or survey (record_links); registry, moe or survey (quarantine, ingest_files; unknown for a file in no source folder)",
    "source_file": "path of the input file relative to the inbox",
    "source_sheet": "worksheet name for xlsx input, empty otherwise",
    "source_row": "1-based data row in that file or sheet (the header is row 0)",
}

RESTRICTED = {
    "out_of_school": (
        "One row per child of the target population with no education record for the province and term. "
        "Holds the citizen ID: restricted.",
        {
            "province_code": COMMON["province_code"], "term": COMMON["term"],
            "citizen_id": "13-digit Thai citizen ID from the civil registry",
            "category": "never_enrolled (no MOE record in this or any earlier loaded term) or dropped_out "
                        "(an earlier record, or only dropped-out / transferred-out / suspended records this term)",
            "category_th": "category in Thai",
            "amphoe_code": "4-digit DOPA amphoe code of the registered address",
            "tambon_code": "6-digit DOPA tambon code of the registered address",
            "moo": "village number (หมู่) of the registered address",
            "birth_year_be": "birth year, Buddhist era", "age": "age in years during the academic year (year - birth year)",
            "age_band": "3-5, 6-11, 12-14 or 15-17", "sex": "1 male, 2 female, empty unknown",
            "nationality_group": "thai or non_thai (reported as its own group)",
            "central_register": "true when registered in the central house register (person_status 8)",
            "last_enrolled_term": "latest earlier term with a studying or graduated record linked (since when out)",
            "last_record_term": "latest term with any MOE record linked",
            "survey_found_status": "latest field survey result this term: found, not found, moved, deceased, studying elsewhere",
            "survey_reason": "reason recorded by the field team", "survey_need": "need recorded by the field team",
            "survey_date": "date of that survey",
            "survey_photo_ref": "photo reference (file name or link) of that visit, as the survey app wrote it",
            "survey_lat": "latitude of that visit (WGS84 degrees); restricted: a point of a child's home",
            "survey_lon": "longitude of that visit (WGS84 degrees)",
        },
    ),
    "record_links": (
        "One row per input record (MOE or survey) joined to a registry person, with the rule and score that joined it.",
        {
            "source": COMMON["source"], "source_file": COMMON["source_file"], "source_sheet": COMMON["source_sheet"],
            "source_row": COMMON["source_row"], "province_code": COMMON["province_code"], "term": COMMON["term"],
            "citizen_id": "registry person the record is linked to",
            "rule": "exact_id (valid ID equal), or the fallback rule that linked it",
            "score": "1.0 for exact links; the match score for fallback links",
            "evidence": "JSON: which fields agreed and how strongly",
            "model_fingerprint": "fingerprint of the partition's fitted linkage model that scored the link (linkage_model)",
            "enrollment_status": "MOE record: studying, transferred out, dropped out, graduated or suspended",
            "school_code": "MOE record: school code", "school_name": "MOE record: school name",
            "school_province": "MOE record: province of the school", "affiliation": "MOE record: affiliation code",
            "grade": "MOE record: grade as exported",
            "found_status": "survey record: what the field team found", "reason": "survey record: reason",
            "need": "survey record: need", "survey_date": "survey record: date of the visit",
            "photo_ref": "survey record: photo reference", "lat": "survey record: latitude of the visit",
            "lon": "survey record: longitude of the visit",
        },
    ),
    "review_queue": (
        "Uncertain candidate links left for a data officer to accept or reject.",
        {
            "source": COMMON["source"], "source_file": COMMON["source_file"], "source_sheet": COMMON["source_sheet"],
            "source_row": COMMON["source_row"], "province_code": COMMON["province_code"], "term": COMMON["term"],
            "citizen_id": "candidate registry person", "score": "match score", "why": "JSON: per-field evidence",
        },
    ),
    "review_decisions": (
        "Decisions of data officers on review-queue pairs (newest per pair), applied on every run.",
        {"decision": "accept or reject", "decided_by": "who decided", "decided_at": "when it was imported"},
    ),
    "linkage_model": (
        "The linkage model each partition fitted on its own data (matching/model.py): one row per comparison level "
        "(field:level) and per prior (lambda:group), with the counts it came from. Every link carries the model's "
        "fingerprint. No person is in it.",
        {
            "source": "moe or survey", "parameter": "field:level of a comparison, or lambda:<record group> for the prior",
            "m": "share of labelled pairs (exact-ID links whose other fields agree) at this level; for lambda, the "
                 "share of records whose person is in the province",
            "u": "share of random (record, person) pairs of the partition at this level",
            "m_pairs": "labelled pairs seen at this level (lambda: records it was estimated from)",
            "u_pairs": "random pairs seen at this level (lambda: people of the province)",
            "fitted_weight": "log2(m/u) from this partition's data alone",
            "prior_weight": "the calibrated default (matching/settings.py or the deployment's matching.toml)",
            "weight": "weight used: fitted and prior mixed by m_pairs / (m_pairs + prior_strength)",
            "fingerprint": "hash of the weights and priors in use; record_links.model_fingerprint names it",
            "province_code": COMMON["province_code"], "term": COMMON["term"],
        },
    ),
    "quarantine": (
        "Rejected input rows: the file, row, column and check that failed, and the raw values (restricted).",
        {
            "source": COMMON["source"], "source_file": COMMON["source_file"], "source_sheet": COMMON["source_sheet"],
            "source_row": COMMON["source_row"], "column": "the column that failed",
            "check": "the check that failed (see docs/input-formats.md)", "failure_case": "the failing value",
            "raw_values": "JSON of the row's raw values as read", "content_hash": "SHA-256 of the file",
            "province_code": COMMON["province_code"], "term": COMMON["term"],
        },
    ),
    "data_issues": (
        "Accepted input rows that had an optional field the linker can do without (visit date, an address code "
        "that names no tambon, house number, coordinates, ...) that could not be used: the field was set to null "
        "and the row kept. One row per row, column and check (restricted: the failing value is kept).",
        {
            "source": COMMON["source"], "source_file": COMMON["source_file"], "source_sheet": COMMON["source_sheet"],
            "source_row": COMMON["source_row"], "column": "the field that was set aside",
            "check": "the check it failed (see docs/input-formats.md)", "failure_case": "the value as written",
            "content_hash": "SHA-256 of the file", "province_code": COMMON["province_code"], "term": COMMON["term"],
        },
    ),
    "ingest_files": (
        "One row per input file seen, with its outcome.",
        {
            "source": COMMON["source"], "source_file": COMMON["source_file"], "content_hash": "SHA-256 of the file's bytes",
            "rows_read": "data rows read", "rows_accepted": "rows that passed validation",
            "rows_quarantined": "rows sent to quarantine (rows_read = rows_accepted + rows_quarantined)",
            "outcome": "accepted, refused or duplicate", "message": "why, in words (no values)",
            "form": "csv, xlsx or parquet", "encoding": "detected text encoding (CSV)", "delimiter": "detected delimiter (CSV)",
            "unknown_columns": "number of columns the alias map does not know (ignored)",
            "rows_with_issues": "accepted rows kept with an unusable optional field set to null (see data_issues)",
            "province_code": COMMON["province_code"], "term": COMMON["term"],
        },
    ),
    "partition_summary": (
        "Counts per province and term: target population, in school, out of school, exclusions by registry status.",
        {},
    ),
    "cohort_status": (
        "Every registry person of a term's birth cohort: targeted or excluded (and why), and the category.",
        {"in_target": "status 0 or 8", "excluded_reason": "registry status that excludes the person",
         "category": "in_school, never_enrolled or dropped_out (targeted people only)"},
    ),
    "transitions": (
        "Term-to-term path of each child between a term and the previous loaded term of the province: "
        "returned_to_school, newly_out, still_out, still_in_school, aged_out, moved_away, died, "
        "entered_in_school, entered_out_of_school.",
        {"previous_term": "the previous loaded term", "previous_category": "category in the previous term",
         "transition": "what happened between the two terms"},
    ),
    "link_rates": (
        "Per province and term: the share of the target population linked to an MOE record, against the previous "
        "loaded term (the blocking check moe_link_rate_stable stops a province's new version when it falls by more "
        "than 10 points).",
        {"target_population": "target population of the term", "target_linked": "targeted people with an MOE link",
         "target_link_rate": "target_linked / target_population", "previous_term": "the previous loaded term",
         "previous_link_rate": "its target_link_rate", "link_rate_stable": "false when the rate fell by more than 10 points"},
    ),
    "publication_status": (
        "Per province: the version the warehouse holds and the last attempt that was not published (data health). "
        "A province's new version is published only when every blocking check of its terms passed; otherwise the "
        "last good version stays.",
        {"province_code": COMMON["province_code"], "published_version": "version in use (time and run)",
         "published_at": "when it was published (UTC)", "published_terms": "terms it holds",
         "refused_at": "when a blocking check last stopped a new version (empty when the latest attempt was published)",
         "refused_checks": "the checks that failed", "refused_terms": "the terms they failed for",
         "unfinished_attempts": "attempts that stopped before publishing and before any check (a failed or killed run)"},
    ),
    "review_summary": (
        "Per province, term and source: what waits for a data officer in the review queue (counts only).",
        {"pending_records": "input records with at least one pair waiting", "pending_pairs": "pairs waiting",
         "children_could_move": "candidate children listed out of school now, whom a decision could move",
         "oldest_pending_days": "days since the oldest waiting pair first appeared in the queue"},
    ),
    "registry_people": (
        "The registry people of each province's latest extract: names, birth dates and addresses, for the visit lists "
        "field teams receive (restricted).",
        {"province_code": COMMON["province_code"], "citizen_id": "13-digit Thai citizen ID",
         "title": "title as registered", "first_name": "first name", "last_name": "family name",
         "sex": "1 male, 2 female", "birth_date": "birth date as written in the extract",
         "birth_year_be": "birth year, Buddhist era", "birth_month": "birth month or empty",
         "birth_day": "birth day or empty", "nationality": "nationality code as registered",
         "nationality_group": "thai or non_thai", "house_id": "11-digit house code (รหัสประจำบ้าน)",
         "house_no": "house number", "address_code": "8-digit address code (province, amphoe, tambon, moo)",
         "amphoe_code": "4-digit amphoe code", "tambon_code": "6-digit tambon code", "moo": "village number",
         "person_status": "registry status (0 lives here, 8 central house register, ...)",
         "source_file": COMMON["source_file"], "source_row": COMMON["source_row"]},
    ),
    "target_group_out_of_school": (
        "Per province, term and configured target group (provinces.toml, e.g. early childhood 2-6, out-of-school "
        "youth 7-21): the group's children with no studying or graduated MOE record, by the same rule as "
        "out_of_school. Published beside the default cohort, never instead of it (out_of_school holds the default).",
        {"target_group": "name of the group in provinces.toml", "age_band": "0-2, 3-5, 6-11, 12-14, 15-17, 18-21 or 22-30"},
    ),
    "target_group_summary": (
        "Per province, term and target list (zero_dropout: the default cohort; then each configured group): the "
        "list's population, in school and out of school (counts of the whole province).",
        {"target_group": "zero_dropout (the default cohort, ages 3-18) or a group of provinces.toml",
         "label": "the list's name as reports show it", "min_age": "youngest age of the list",
         "max_age": "oldest age of the list (birth years Y-(max-1) .. Y-min of academic year Y)",
         "target_population": "people of the list (status as the list says, born in its birth years)",
         "in_school": "of them, with a studying or graduated MOE record this term",
         "out_of_school": "of them, not in school", "never_enrolled": "out of school, no record ever",
         "dropped_out": "out of school, with an earlier record or only non-studying records"},
    ),
    "target_groups": (
        "The lists each published province follows: the default cohort and the groups of provinces.toml.",
        {"target_group": "list name", "label": "list name as shown", "min_age": "youngest age", "max_age": "oldest age"},
    ),
    "risk_stages": (
        "Stages of risk (upstream, midstream, downstream; the Nakhon Phanom model) per province, term and target "
        "list: one row per child in a stage, the most severe that applies, with every reason that applies. Holds the "
        "citizen ID: restricted.",
        {"target_group": "the list (zero_dropout: the default cohort)",
         "stage": "downstream: in the juvenile justice system during the term; midstream: out of school; upstream: in "
                  "school but suspended this term, back in school after being out, or receiving cct aid this term",
         "reasons": "every reason that applies, '; '-separated: justice_case, out_of_school, suspended, returned, cct_aid",
         "category": "in_school, never_enrolled or dropped_out this term"},
    ),
    "stage_transitions": (
        "Each listed child's stage against the list's previous loaded term (none: not in a stage, or not in the list).",
        {"previous_term": "the previous loaded term", "previous_stage": "stage then, or none", "stage": "stage now, or none",
         "target_group": "the list"},
    ),
    "aid_payments": (
        "Every accepted aid payment row (inbox/aid/<province>/<term>/), linked to the registry person it was paid for "
        "where one was found (citizen_id NULL: no link), with the rule, score and evidence of the link. Restricted: a "
        "child's payments are personal data.",
        {"payment_id": "payment number as exported", "programme": "cct (equity conditional cash transfer), "
         "return_to_school, provincial_fund, scholarship or other", "amount_baht": "amount paid, baht",
         "paid_date": "date paid (CE)", "payer_org": "paying organisation as written",
         "citizen_id": "registry person the payment is linked to (NULL: not linked)"},
    ),
    "aid_by_child": (
        "Per province, term, child and programme: payments and baht, with the child's status that term (out_of_school, "
        "returned, in_school, not_in_target) and amphoe. Restricted.",
        {"payments": "payments linked to the child", "amount_baht": "baht paid to the child under the programme",
         "child_status": "out_of_school (default cohort, not in school), returned (in school after being out in an "
                         "earlier loaded term), in_school, not_in_target (outside the default cohort)"},
    ),
    "justice_cases": (
        "Every accepted juvenile justice case row (inbox/justice/<province>/<term>/), linked to the registry person "
        "where one was found (citizen_id NULL: no link). Restricted.",
        {"case_id": "case number as exported", "facility": "observation and protection centre as written",
         "admitted_date": "date admitted (CE)", "released_date": "date released (CE); NULL: still held"},
    ),
}

ANALYST = {
    "linkage_model": (
        "The linkage model of each partition, as in restricted.duckdb (parameters and counts only).",
        {},
    ),
    "out_of_school": (
        "Out-of-school children per province and term without identifiers: child_key is a keyed pseudonym "
        "(HMAC-SHA-256) that follows one child across terms. No village (moo); k-anonymous: every combination of "
        "amphoe, tambon, birth year, sex and nationality group is shared by at least 5 children of the province "
        "and term. A row in a smaller group has its tambon, then birth year and age, sex, nationality group and "
        "amphoe left empty, step by step, until it is in a group of 5 (row_coarsening counts them); a row still "
        "alone is withheld (counted in the summaries and partition_summary, not listed).",
        {
            "child_key": "keyed pseudonym of the child (HMAC-SHA-256 of the citizen ID, first 32 hex characters)",
            **{k: v for k, v in RESTRICTED["out_of_school"][1].items() if k not in ("citizen_id", "moo", "survey_photo_ref", "survey_lat", "survey_lon")},
        },
    ),
    "provinces": ("Every province: DOPA code with its Thai and English name (public, from geothai).",
                  {"province_name_th": "province name in Thai", "province_name_en": "province name in English"}),
    "amphoes": ("Every amphoe: DOPA code, its province, and their Thai and English names (public).",
                {"amphoe_name_th": "amphoe name in Thai", "amphoe_name_en": "amphoe name in English"}),
    "tambons": ("Every tambon: DOPA code, its amphoe and province, and their Thai and English names (public).",
                {"tambon_name_th": "tambon name in Thai", "tambon_name_en": "tambon name in English"}),
    "terms": ("The terms loaded: how they are shown and the dates they cover (semester 1 from 16 May, semester 2 "
              "from 1 November, CE dates).",
              {"term_display": "the term as people write it (1/2567)", "year_be": "academic year, Buddhist era",
               "semester": "1 or 2", "start_date": "first day of the term", "end_date": "last day of the term"}),
    "report_counts": (
        "The counts the province report shows, per province and term and breakdown (category by nationality, by "
        "amphoe, amphoe totals, age band, tambon, age band by sex, survey result, need, reason, field visits per "
        "amphoe), counted on every "
        "out-of-school child before the rows above are coarsened; counts under 5 suppressed, and the cells that "
        "would give them away from a total suppressed too.",
        {"breakdown": "which table of the report", "found_status": "latest survey result, or 'not surveyed'",
         "need": "need recorded by the latest survey", "children": "number of children, NULL when suppressed",
         "visit": "located (the latest visit recorded coordinates) or visited (no coordinates): where field teams "
                  "went, counted per amphoe, never a point",
         "suppressed": "true when the count is not shown (under 5, or it would give a suppressed one away)"},
    ),
    "row_coarsening": (
        "Per province and term: how many out-of-school rows of the analyst file were kept as they are, coarsened "
        "at each step, or withheld to keep every quasi-identifier combination shared by at least 5 children.",
        {"kept_as_is": "rows with every field", "coarsened_tambon_code": "rows without their tambon",
         "coarsened_birth_year_be": "rows also without birth year and age (age band kept)",
         "coarsened_sex": "rows also without sex", "coarsened_nationality_group": "rows also without nationality group",
         "coarsened_amphoe_code": "rows also without amphoe", "withheld": "rows left out (still fewer than 5 alike)"},
    ),
    "partition_summary": RESTRICTED["partition_summary"],
    "link_rates": RESTRICTED["link_rates"],
    "review_summary": RESTRICTED["review_summary"],
    "publication_status": RESTRICTED["publication_status"],
    "transitions": (RESTRICTED["transitions"][0] + " Pseudonymised with child_key, without amphoe or tambon "
                    "(joined on child_key, a place here would undo the coarsening of out_of_school).",
                    {"child_key": "keyed pseudonym of the child", **{k: v for k, v in RESTRICTED["transitions"][1].items()
                                                                     if k not in ("amphoe_code", "tambon_code")}}),
    "target_groups": (
        "The lists each published province follows, as in restricted.duckdb.", {}),
    "target_group_summary": (
        "Per province, term and target list: population, in school and out of school (province totals, as "
        "partition_summary).", {}),
    **{table: (text, {"children": "number of children, NULL when under 5", "suppressed": "true when the count was under 5",
                      **extra})
       for table, (text, extra) in EXTRA_SUMMARY_DOCS.items()},
    "summary_by_transition": (
        "Children per province, term and transition; counts under 5 suppressed.",
        {"children": "number of children, NULL when under 5", "suppressed": "true when the count was under 5"},
    ),
    **{
        table: (
            f"Out-of-school children counted by {dims.replace('province_code, term, ', '')} per province and term; "
            "counts under 5 are suppressed (children NULL, suppressed true) so the table may leave the office.",
            {"children": "number of children, NULL when under 5", "suppressed": "true when the count was under 5",
             "reason": "reason recorded by the latest field survey, or 'not surveyed'"},
        )
        for table, dims in SUMMARY_TABLES.items()
    },
    "ingest_summary": (
        "Input files per source, province and term by outcome, with rows read, accepted and quarantined "
        "(counts of rows, not of children).",
        {"files": "number of files", "rows_read": "data rows read", "rows_accepted": "rows that passed validation",
         "rows_quarantined": "rows sent to quarantine"},
    ),
    "quarantine_summary": (
        "Rows quarantined per source, province and term by the column and check that failed (counts only; the rows "
        "themselves are in restricted.duckdb).",
        {"column": "the column that failed", "check": "the check that failed (see docs/input-formats.md)",
         "rows_quarantined": "number of input rows"},
    ),
    "data_issue_summary": (
        "Accepted rows per source, province and term that were kept with an unusable optional field set to null, "
        "by the column and check (counts only).",
        {"column": "the field that was set aside", "check": "the check it failed", "rows_kept": "number of input rows"},
    ),
    "linkage_summary": (
        "Linkage per province, term and source (moe, survey): records linked by rule, review queue size, and the "
        "share of the target population linked to a record.",
        {"records_linked": "input records linked to a registry person", "linked_exact_id": "links by equal valid ID",
         "linked_fallback": "links by name, birth date and the other fallback evidence",
         "linked_by_officer": "links accepted by a data officer", "review_queue": "pairs waiting for a decision",
         "target_population": "target population of the partition",
         "target_linked": "targeted people with at least one linked record of this source",
         "target_link_rate": "target_linked / target_population"},
    ),
}


PARTITION_SUMMARY_COLUMNS = {
    "target_population": "people of the province's latest registry extract with status 0 or 8, born in the term's cohort years",
    "in_school": "targeted people with a studying or graduated MOE record of the term linked",
    "out_of_school": "targeted people not in school (never_enrolled + dropped_out)",
    "never_enrolled": "out of school, no MOE record linked in this or any earlier loaded term",
    "dropped_out": "out of school, with an earlier record or only dropped-out / transferred-out / suspended records",
    "central_register": "targeted people in the central house register (status 8)",
    "pending_review": "out of school, but an MOE record that may be the child's waits in the review queue: possibly "
                      "in school, awaiting a decision (shown apart in the report and the visit lists)",
    "non_thai_out_of_school": "out-of-school children without Thai nationality",
    "excluded_removed_or_deceased": "cohort people excluded: status 1 (removed or deceased)",
    "excluded_moved_abroad": "cohort people excluded: status 4 (moved abroad)",
    "excluded_moved_out": "cohort people excluded: status 9 (moved out)",
    "excluded_reported_dead": "cohort people excluded: status 11 (reported dead)",
    "excluded_renounced_thai_nationality": "cohort people excluded: status 12 (renounced Thai nationality)",
    "earlier_terms_loaded": "how many earlier terms of the province were loaded when the term was classified",
}

# Every column name the two files use, once: a table's own text wins, this fills the rest.
GLOSSARY = {
    **{c: t for docs in (RESTRICTED, ANALYST) for _, cols in docs.values() for c, t in cols.items()},
    **COMMON,
    **PARTITION_SUMMARY_COLUMNS,
    "citizen_id": "13-digit Thai citizen ID from the civil registry",
    "child_key": ANALYST["out_of_school"][1]["child_key"],
    "category": RESTRICTED["out_of_school"][1]["category"],
    "outcome": RESTRICTED["ingest_files"][1]["outcome"],
    "reason": "reason recorded by the latest field survey, or 'not surveyed'",
    "transition": RESTRICTED["transitions"][1]["transition"],
}

EXAMPLE_QUERIES = """\
-- out-of-school children per amphoe for one term, with the amphoe's name (analyst.duckdb; small counts
-- already suppressed)
SELECT a.amphoe_name_th, s.category, s.children FROM summary_by_amphoe s JOIN amphoes a USING (amphoe_code)
WHERE s.province_code = '55' AND s.term = '2567-1' AND NOT s.suppressed ORDER BY s.children DESC;

-- the same per tambon, and the term as people write it
SELECT t.term_display, b.tambon_name_th, b.amphoe_name_th, s.category, s.children
FROM summary_by_tambon s JOIN tambons b USING (tambon_code) JOIN terms t USING (term)
WHERE s.province_code = '55' ORDER BY ALL;

-- follow children across terms with the pseudonym: who was out in 2566-2 and is still out in 2567-1
SELECT a.category AS before, b.category AS now, count(*) AS children
FROM out_of_school a JOIN out_of_school b USING (child_key)
WHERE a.term = '2566-2' AND b.term = '2567-1' GROUP BY ALL;

-- target population, in school and out of school per province and term
SELECT province_code, term, target_population, in_school, out_of_school FROM partition_summary ORDER BY ALL;

-- data health (restricted.duckdb): files refused and rows quarantined, by check
SELECT outcome, count(*) FROM ingest_files GROUP BY ALL;
SELECT source, "column", "check", count(DISTINCT (source_file, source_row)) AS rows FROM quarantine GROUP BY ALL;
"""


def markdown() -> str:
    """docs/warehouse.md: every table and column of both files, and example queries."""
    out = ["# The warehouse: tables and columns", "",
           "Generated from `zero_dropout/catalog.py` (the same text is in the DuckDB files as `COMMENT ON`).",
           "`restricted.duckdb` holds direct identifiers and stays with the provincial data office;",
           "`analyst.duckdb` is built from it with a keyed pseudonym instead of the citizen ID and no names",
           "or house numbers.", ""]
    for title, docs in (("restricted.duckdb", RESTRICTED), ("analyst.duckdb", ANALYST)):
        out += [f"## {title}", ""]
        for table, (text, columns) in docs.items():
            out += [f"### `{table}`", "", text, ""]
            if columns:
                out += ["| column | meaning |", "|---|---|"]
                out += [f"| `{c}` | {t} |" for c, t in columns.items()]
                out.append("")
            out += ["Other columns: see the [glossary](#glossary-of-columns).", ""]
    out += ["## Glossary of columns", "", "Every column name used in either file, with its meaning "
            "(a table's own description above wins).", "", "| column | meaning |", "|---|---|"]
    out += [f"| `{c}` | {t} |" for c, t in sorted(GLOSSARY.items())]
    out.append("")
    labels = "\n".join(f"| `{k}` | {v} |" for k, v in CATEGORY_LABELS_TH.items())
    out += ["## Categories in Thai", "", "| category | ชื่อภาษาไทย |", "|---|---|", labels, "",
            "## Example queries", "", "```sql", EXAMPLE_QUERIES.rstrip(), "```", ""]
    return "\n".join(out)
