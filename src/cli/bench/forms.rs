//! The local forms the end-to-end stages submit: every region's golden sample for every matter it
//! covers (the adapters' golden files, so the bench submits exactly what the golden tests check),
//! JSON and GBK XML alike, in turn.

/// One province's local form for one matter.
pub struct Form {
    pub region: &'static str,
    pub matter: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

pub const FORMS: &[Form] = &[
    Form {
        region: "310000",
        matter: "criminal-record-certificate",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!(
            "../../../adapters/regions/310000/golden/criminal-record-certificate.local.xml"
        ),
    },
    Form {
        region: "310000",
        matter: "pension-transfer",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!("../../../adapters/regions/310000/golden/pension-transfer.local.xml"),
    },
    Form {
        region: "310000",
        matter: "social-security-card",
        content_type: "application/xml; charset=GBK",
        body: include_bytes!(
            "../../../adapters/regions/310000/golden/social-security-card.local.xml"
        ),
    },
    Form {
        region: "330000",
        matter: "hukou-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/hukou-transfer.local.json"),
    },
    Form {
        region: "330000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/medical-filing.local.json"),
    },
    Form {
        region: "330000",
        matter: "pension-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/330000/golden/pension-transfer.local.json"),
    },
    Form {
        region: "340000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/340000/golden/medical-filing.local.json"),
    },
    Form {
        region: "340000",
        matter: "pension-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/340000/golden/pension-transfer.local.json"),
    },
    Form {
        region: "340000",
        matter: "unemployment-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/340000/golden/unemployment-registration.local.json"
        ),
    },
    Form {
        region: "440000",
        matter: "business-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/440000/golden/business-registration.local.json"
        ),
    },
    Form {
        region: "440000",
        matter: "medical-filing",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/440000/golden/medical-filing.local.json"),
    },
    Form {
        region: "440000",
        matter: "social-security-card",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/440000/golden/social-security-card.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "criminal-record-certificate",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/criminal-record-certificate.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "housing-fund-transfer",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/housing-fund-transfer.local.json"
        ),
    },
    Form {
        region: "500000",
        matter: "unemployment-registration",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/500000/golden/unemployment-registration.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "criminal-record-certificate",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/510000/golden/criminal-record-certificate.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "housing-fund-transfer",
        content_type: "application/json",
        body: include_bytes!(
            "../../../adapters/regions/510000/golden/housing-fund-transfer.local.json"
        ),
    },
    Form {
        region: "510000",
        matter: "hukou-transfer",
        content_type: "application/json",
        body: include_bytes!("../../../adapters/regions/510000/golden/hukou-transfer.local.json"),
    },
];
