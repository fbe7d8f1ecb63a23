//! The committed OpenAPI document is the one the code generates
//! (`OKR_BLESS=1 cargo test -p okr-serve --test openapi` rewrites it).

#[test]
fn openapi_document_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = okr_serve::openapi::rendered();
    if std::env::var_os("OKR_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "okr-serve/openapi.json is out of date with the Rust types; regenerate it with \
         OKR_BLESS=1 cargo test -p okr-serve --test openapi"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for name in ["CommandMessage", "QueryResult", "EventsPage", "Error"] {
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "schema {name} missing"
        );
    }
}

#[test]
fn every_ref_points_at_a_schema() {
    let doc = okr_serve::openapi::document();
    let schemas = doc["components"]["schemas"].as_object().unwrap().clone();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|c| walk(c, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let name = r.strip_prefix("#/components/schemas/").expect(&r);
        assert!(schemas.contains_key(name), "dangling $ref {r}");
    }
}

#[test]
fn the_configuration_is_checked() {
    use okr_serve::Config;
    let hash = okr_serve::hash_token("secret");
    assert_eq!(
        hash,
        "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
    );
    let good = format!(
        "store = \"db\"\norganisation = \"a\"\n[[tokens]]\nname = \"t\"\nsha256 = \"{hash}\"\norganisation = \"a\"\nacts_for = \"any\"\n"
    );
    assert!(Config::parse(&good).is_ok());
    let e = Config::parse("store = \"db\"\n").unwrap_err();
    assert!(e.0.contains("no [[tokens]]"), "{e}");
    let e = Config::parse(&good.replace(&hash, "abc")).unwrap_err();
    assert!(e.0.contains("64 hex digits"), "{e}");
    let e = Config::parse(&good.replace("\"any\"", "\"nobody\"")).unwrap_err();
    assert!(e.to_string().contains("acts_for is `nobody`"), "{e}");
    let e =
        Config::parse(&good.replace("organisation = \"a\"\nacts", "organisation = \"b\"\nacts"))
            .unwrap_err();
    assert!(e.0.contains("organisation `b` is not served here"), "{e}");
}
