global using PsWebSocket.Interop;
global using PsWebSocket.Interop.Tests.Harness;
global using Xunit;
