from openmosprom_cli.cli.main import run

run()
