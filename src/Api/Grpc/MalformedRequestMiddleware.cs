using System.Buffers.Binary;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Training.V1;

namespace TrainingService.Api.Grpc;

/// <summary>
/// Returns INVALID_ARGUMENT for a TrainingService call whose request is not valid protobuf of the method's
/// request type. Without it, grpc-dotnet 2.85 fails such a call with UNKNOWN ("Exception was thrown by
/// handler"), which reads as a fault of the server. Compressed messages are left to gRPC itself.
/// </summary>
internal sealed class MalformedRequestMiddleware(RequestDelegate next)
{
    private static readonly Dictionary<string, MessageDescriptor> RequestTypes = TrainingServiceReflection.Descriptor.Services
        .SelectMany(service => service.Methods)
        .ToDictionary(method => $"/{method.Service.FullName}/{method.Name}", method => method.InputType, StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!RequestTypes.TryGetValue(context.Request.Path.Value ?? "", out var requestType)
            || context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) != true)
        {
            await next(context);
            return;
        }

        context.Request.EnableBuffering();
        var error = await FindMalformedMessageAsync(context.Request.Body, requestType, context.RequestAborted);
        context.Request.Body.Position = 0;

        if (error is null)
        {
            await next(context);
            return;
        }

        context.Response.ContentType = "application/grpc";
        context.Response.DeclareTrailer("grpc-status");
        await context.Response.StartAsync(context.RequestAborted);
        context.Response.AppendTrailer("grpc-status", "3");
        context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(error));
    }

    /// <summary>Parses each uncompressed frame of the body; returns why one is not a valid message, or null.</summary>
    private static async Task<string?> FindMalformedMessageAsync(Stream body, MessageDescriptor requestType, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await body.CopyToAsync(buffer, cancellationToken);
        var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);

        while (bytes.Length >= 5)
        {
            var compressed = bytes.Span[0] == 1;
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.Span[1..5]);
            if (compressed || length > bytes.Length - 5)
            {
                return null;
            }

            try
            {
                requestType.Parser.ParseFrom(bytes.Slice(5, (int)length).Span);
            }
            catch (InvalidProtocolBufferException exception)
            {
                return $"The request is not a valid {requestType.FullName} message: {exception.Message}";
            }

            bytes = bytes[(5 + (int)length)..];
        }

        return null;
    }
}
