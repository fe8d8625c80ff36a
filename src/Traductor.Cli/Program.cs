// `traductor`: serve, translate, model … Each verb lives in its own file under Commands/.
using Traductor.Cli.Commands;

return await CommandLine.RunAsync(args).ConfigureAwait(false);
