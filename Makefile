# Convenience aliases; tasks.py needs nothing but Python 3.11+.
.PHONY: run test lock figures
run:
	python3 tasks.py run
test:
	python3 tasks.py test
lock:
	python3 tasks.py lock
figures:
	python3 tasks.py figures
