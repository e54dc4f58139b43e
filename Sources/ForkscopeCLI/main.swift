import ForkscopeCommands

ForkscopeCommand.main()
