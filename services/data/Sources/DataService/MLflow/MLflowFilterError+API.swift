import MLflowFilter
import Platform

extension MLflowFilterError {
    /// MLflow's INVALID_PARAMETER_VALUE naming `filter`, with the column at fault.
    var apiError: APIError {
        APIError(
            .badRequest, code: "INVALID_PARAMETER_VALUE", message: description, field: "filter", position: position)
    }
}
