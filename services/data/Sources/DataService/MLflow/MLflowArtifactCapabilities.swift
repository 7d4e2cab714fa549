import Auth
import Hummingbird
import Platform

/// MLflow 3's client asks `GET <tracking URI>/api/3.0/mlflow/server-info` what the server can do
/// before it moves artifacts; without a yes it uploads every file in one request and downloads
/// it in one stream. Neither multipart direction is offered, although both are served
/// (`MLflowArtifactMultipart`, and `presigned/` ranges) for clients that ask with
/// `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true` / `…_DOWNLOAD=true`: here one stream is the
/// faster (a 120 MB file took 0.9 s streamed and 1.1–1.8 s in parts, which are joined again
/// at the end; 512 MB went up at 175 MB/s in parts, `make bench BENCH=mlflow`), and MLflow's own
/// server on a local artifact store offers no multipart either. MLflow's own answers without
/// login; ours takes the token the client sends with it anyway, as docs/design.md §4 keeps
/// everything but the operations endpoints closed.
enum MLflowArtifactCapabilities {
    static let info: JSONValue = [
        "store_type": .null, "workspaces_enabled": false, "trace_archival_enabled": false,
        "multipart_uploads_enabled": false, "multipart_downloads_enabled": false, "artifact_serving_enabled": true,
        "artifacts_presigned_only": false, "presigned_upload_run_id_supported": false,
        "presigned_upload_model_id_supported": false, "model_artifact_presigned_downloads_supported": false,
        "features_enabled": ["gateway": false, "scheduled_issue_detection": false], "tracking_auth": "",
    ]

    static func register(_ api: APIBuilder<AuthRequestContext>) {
        let doc = OperationDoc(
            "MLflow: what this server supports (multipart artifact transfers), asked by MLflow's client",
            tags: ["mlflow"], response: Schema.anyObject)
        api.onMLflow(.get, "3.0/mlflow/server-info", doc) { _, _ in JSONResponse(info) }
    }
}
