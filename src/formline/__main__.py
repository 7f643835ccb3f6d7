"""Entry point for ``python -m formline``."""

from formline.cli import main

if __name__ == "__main__":
    main()
