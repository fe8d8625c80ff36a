using System.Net;
using System.Net.Sockets;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>Loopback ports nobody listens on (asked from the kernel, then released for the process that needs them).</summary>
internal static class FreePort
{
    public static int Next()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
