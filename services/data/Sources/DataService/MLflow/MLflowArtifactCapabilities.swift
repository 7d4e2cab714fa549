import Auth
import Hummingbird
import Platform

/// MLflow 3's client asks `GET <tracking URI>/api/3.0/mlflow/server-info` what the server can do
/// before it moves artifacts; without a yes it uploads every file in one request and downloads
/// it in one stream. We take multipart uploads (`MLflowArtifactMultipart`: a file of 500 MiB and
/// up goes as parallel parts). Multipart downloads are not offered although `presigned/` serves
/// them (for `MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD=true`): the client would then ask for a URL
/// before every file, small ones too, and one stream of a 120 MB file was as fast (about 1 s) as
/// its parallel ranges. MLflow's own answers without login; ours takes the token the client sends
/// with it anyway, as docs/design.md §4 keeps everything but the operations endpoints closed.
enum MLflowArtifactCapabilities {
    static let info: JSONValue = [
        "store_type": .null, "workspaces_enabled": false, "trace_archival_enabled": false,
        "multipart_uploads_enabled": true, "multipart_downloads_enabled": false, "artifact_serving_enabled": true,
        "artifacts_presigned_only": false, "presigned_upload_run_id_supported": false,
        "presigned_upload_model_id_supported": false, "model_artifact_presigned_downloads_supported": false,
        "features_enabled": ["gateway": false, "scheduled_issue_detection": false], "tracking_auth": "",
    ]

    static func register(_ api: APIBuilder<AuthRequestContext>) {
        let doc = OperationDoc(
            "MLflow: what this server supports (multipart artifact transfers), asked by MLflow's client",
            tags: ["mlflow"], response: Schema.anyObject)
        for path in ["/api/3.0/mlflow/server-info", "/mlflow/{project}/api/3.0/mlflow/server-info"] {
            api.get(path, doc) { _, _ in JSONResponse(info) }
        }
    }
}
