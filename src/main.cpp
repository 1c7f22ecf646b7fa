// mortem command-line entry point: everything happens in RunCli.
#include "mortem/commands/cli.h"

int main(int argc, char** argv) {
  return mortem::commands::RunCli(argc, argv);
}
