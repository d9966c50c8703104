//! Calling anything the system serves without knowing its types: any gRPC method with raw
//! protobuf bytes, any HTTP route of the gateway's OpenAPI document with parameters and a
//! body of the documented shape. The security specifications enumerate what to call from
//! the descriptor set and the document, so a new method or route is covered on arrival.

use std::collections::BTreeMap;

use bytes::{Buf as _, BufMut as _};
use prost::Message as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

use crate::world::{World, channel, jpeg};

/// Sends and receives raw protobuf bytes, so any method can be called without its types.
#[derive(Debug, Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;
    fn encoder(&mut self) -> Self::Encoder {
        RawCodec
    }
    fn decoder(&mut self) -> Self::Decoder {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = src.remaining();
        Ok(Some(src.copy_to_bytes(n).to_vec()))
    }
}

/// Every gRPC method of every Estelam service, as `package.Service/Method`.
pub fn grpc_methods() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(estelam_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let mut out = Vec::new();
    for file in set.file {
        let package = file.package().to_owned();
        if !package.starts_with("estelam.") {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                out.push(format!("{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    assert!(
        out.len() > 50,
        "the descriptor set holds every method: {out:?}"
    );
    out
}

/// Every method whose request has an `inquiry_id` or `document_id` string field: the
/// method, the field's name and its number.
pub fn id_methods() -> Vec<(String, String, u32)> {
    let set = prost_types::FileDescriptorSet::decode(estelam_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set decodes");
    let mut messages = BTreeMap::new();
    for file in &set.file {
        for message in &file.message_type {
            messages.insert(
                format!(".{}.{}", file.package(), message.name()),
                message.clone(),
            );
        }
    }
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let Some(input) = messages.get(method.input_type()) else {
                    continue;
                };
                for field in &input.field {
                    let is_string =
                        field.r#type() == prost_types::field_descriptor_proto::Type::String;
                    if is_string && matches!(field.name(), "inquiry_id" | "document_id") {
                        out.push((
                            format!("{}.{}/{}", file.package(), service.name(), method.name()),
                            field.name().to_owned(),
                            u32::try_from(field.number()).expect("positive"),
                        ));
                    }
                }
            }
        }
    }
    out
}

/// A message holding only string field `number` = `value`, in protobuf wire format.
pub fn string_field(number: u32, value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::encode_key(number, prost::encoding::WireType::LengthDelimited, &mut out);
    prost::encoding::encode_varint(value.len() as u64, &mut out);
    out.extend_from_slice(value.as_bytes());
    out
}

impl World {
    pub fn endpoint_of(&self, method: &str) -> &str {
        let e = &self.settings.endpoints;
        match method.split('.').nth(1) {
            Some("identity") => &e.identity,
            Some("property") => &e.property,
            Some("documents") => &e.documents,
            Some("fees") => &e.fees,
            Some("inquiry") => &e.inquiry,
            Some("notifications") => &e.notifications,
            other => panic!("no service for {method} ({other:?})"),
        }
    }

    /// Calls `method` with an empty message and `token`; the status code it ends with.
    pub async fn call(&self, method: &str, token: Option<&str>) -> tonic::Status {
        self.call_with(method, Vec::new(), token).await
    }

    /// Calls `method` with the encoded message `body` and `token`.
    pub async fn call_with(
        &self,
        method: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> tonic::Status {
        let mut grpc = tonic::client::Grpc::new(channel(self.endpoint_of(method), &self.settings));
        grpc.ready().await.expect("the service is up");
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!("/{method}"))
            .expect("a method path");
        let mut request = tonic::Request::new(futures::stream::iter(vec![body]));
        if let Some(t) = token {
            request.metadata_mut().insert(
                "authorization",
                format!("Bearer {t}").parse().expect("ascii"),
            );
        }
        match grpc.streaming(request, path, RawCodec).await {
            Err(status) => status,
            Ok(response) => match response.into_inner().message().await {
                Ok(_) => tonic::Status::ok(""),
                Err(status) => status,
            },
        }
    }

    /// Every route of the gateway's OpenAPI document, as `METHOD /path`.
    pub async fn http_routes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in ["get", "put", "post", "delete", "patch"] {
                if item.get(method).is_some() {
                    out.push(format!("{} {path}", method.to_uppercase()));
                }
            }
        }
        assert!(out.len() > 20, "the document lists every route: {out:?}");
        out
    }

    /// Sends `route` with every path parameter replaced from `ids` (or a fresh UUID), the
    /// required query parameters and a body of the documented shape (so that the request
    /// reaches the service behind the route), and `token`.
    pub async fn send(
        &self,
        route: &str,
        ids: &BTreeMap<&str, String>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let (method, path) = route.split_once(' ').expect("METHOD /path");
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let mut url = path.to_owned();
        while let Some(start) = url.find('{') {
            let end = url[start..].find('}').expect("closing brace") + start;
            let name = &url[start + 1..end];
            let value = ids
                .get(name)
                .cloned()
                .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
            url.replace_range(start..=end, &value);
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "query" && p["required"] == true {
                let name = p["name"].as_str().unwrap_or_default();
                let value = match name {
                    "bbox" => "51.5,32.8,51.6,32.9".to_owned(),
                    _ => match example(&self.doc, &p["schema"]) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                };
                query.append_pair(name, &value);
            }
        }
        let query = query.finish();
        let url = format!("{}{url}?{query}", self.system.gateway_url);
        let content = &op["requestBody"]["content"];
        let mut request = match method {
            "GET" => self.http.get(&url),
            "POST" => self.http.post(&url),
            "PUT" => self.http.put(&url),
            "DELETE" => self.http.delete(&url),
            other => panic!("unexpected method {other}"),
        };
        if content.get("multipart/form-data").is_some() {
            let form = reqwest::multipart::Form::new()
                .text("kind", "national_id_card")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(jpeg(16, 16))
                        .file_name("card.jpg")
                        .mime_str("image/jpeg")
                        .expect("mime"),
                );
            request = request.multipart(form);
        } else if let Some(json) = content.get("application/json") {
            request = request.json(&example(&self.doc, &json["schema"]));
        } else if let Some(form) = content.get("application/x-www-form-urlencoded") {
            let fields = example(&self.doc, &form["schema"]);
            let mut encoded = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields.as_object().into_iter().flatten() {
                encoded.append_pair(k, v.as_str().unwrap_or(&v.to_string()));
            }
            request = request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(encoded.finish());
        }
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let problem = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"));
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (status.is_client_error() || status.is_server_error()) && path.starts_with("/api/") {
            assert!(
                problem,
                "{}: {route}: an error is problem+json: {status} {text}",
                self.label
            );
        }
        (status, body)
    }
}

/// A value of `schema`'s shape: every required property, strings `"1"`, numbers 1.
pub fn example(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or_default();
        return example(doc, &doc["components"]["schemas"][name]);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[combinator]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["type"] != "null"))
        {
            return example(doc, first);
        }
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types.iter().find(|t| *t != "null").cloned(),
        other => Some(other.clone()),
    };
    match ty.as_ref().and_then(Value::as_str) {
        Some("object") => {
            let mut out = json!({});
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().unwrap_or_default();
                out[name] = example(doc, &schema["properties"][name]);
            }
            // Fields the gateway checks itself have to hold a value of the right form for the
            // request to reach the service.
            for (name, value) in [
                ("renovation_code", "1-1-1-1-0-0"),
                ("ownership_type", "full"),
            ] {
                if schema["properties"].get(name).is_some() {
                    out[name] = json!(value);
                }
            }
            out
        }
        Some("array") => json!([]),
        Some("string") => json!("1"),
        Some("integer" | "number") => json!(1),
        Some("boolean") => json!(false),
        _ => Value::Null,
    }
}
