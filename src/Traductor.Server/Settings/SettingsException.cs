namespace Traductor.Server.Settings;

/// <summary>A setting is missing, malformed or out of range. The message is one line naming the variable, its value and what is allowed.</summary>
public sealed class SettingsException(string message) : Exception(message);
