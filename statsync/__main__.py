from statsync.cli import main

main(prog_name="statsync")
