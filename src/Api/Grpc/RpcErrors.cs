using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using TrainingService.Core.Specs;

namespace TrainingService.Api.Grpc;

/// <summary>Builds the gRPC errors the API returns, with google.rpc details where a client can act on them.</summary>
internal static class RpcErrors
{
    public static RpcException InvalidArgument(string message, IEnumerable<FieldViolation> violations)
    {
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(violations.Select(v => new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));

        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = message,
            Details = { Any.Pack(badRequest) },
        };
        return status.ToRpcException();
    }

    public static RpcException InvalidField(string field, string description) =>
        InvalidArgument($"{field} {description}", [new FieldViolation(field, description)]);

    public static RpcException NotFound(string jobId) =>
        new(new global::Grpc.Core.Status(StatusCode.NotFound, $"Job {jobId} not found."));

    public static RpcException FailedPrecondition(string message) =>
        new(new global::Grpc.Core.Status(StatusCode.FailedPrecondition, message));

    public static RpcException Unavailable(string message) =>
        new(new global::Grpc.Core.Status(StatusCode.Unavailable, message));
}
